/**
 * Random wire traffic against the real service (a child process, auth on):
 * random protobuf and JSON bodies for every RPC (StreamProcessorService and
 * grpc.health.v1), over every protocol, with random headers. Whatever arrives:
 * never INTERNAL, UNKNOWN, DATA_LOSS or HTTP 500, the process stays up, and the
 * state (GetServerInfo, ListViews, every GetView) changes only when a request
 * succeeds. `make test` sends SSP_FUZZ_WIRE_RUNS=300 requests; `make fuzz-wire`
 * many more, bounded by SSP_FUZZ_WIRE_SECONDS. SSP_FUZZ_WIRE_SEED replays a run.
 */
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { OK, rawRpc } from "../support/raw-rpc.js";
import { startTarget, type Target } from "./support/target.js";
import { wireRequestArbitrary } from "./support/wire-arbitraries.js";

const RUNS = readInt("SSP_FUZZ_WIRE_RUNS", 300);
const SECONDS = readInt("SSP_FUZZ_WIRE_SECONDS", 40);
const SEED = process.env.SSP_FUZZ_WIRE_SEED === undefined ? 20261207 : Number(process.env.SSP_FUZZ_WIRE_SEED);
/** Codes that mean the server failed; a request, however odd, must never get one. */
const SERVER_FAULTS = new Set<number>([Code.Internal, Code.Unknown, Code.DataLoss]);
/** A stream still open after this long counts as accepted (WatchDeltas and health Watch never end by themselves). */
const STREAM_WAIT_MS = 300;

function readInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${raw}`);
  return value;
}

let target: Target;
beforeAll(async () => {
  target = await startTarget();
}, 60_000);
afterAll(() => target?.close());

it(`answers ${RUNS} random requests without a server fault, changing state only on success`, async () => {
  let accepted = 0;
  let sent = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(wireRequestArbitrary(), async (req) => {
      sent += 1;
      const before = await target.state();
      const answer = await rawRpc(target.url, { ...req, waitMs: req.streaming ? STREAM_WAIT_MS : 10_000 });
      expect(target.alive(), `${req.label}\n${target.stderr()}`).toBe(true);
      expect(answer.httpStatus, req.label).not.toBe(500);
      if (answer.open) {
        // Only a stream may stay open, and only once accepted: headers sent, no status yet.
        expect(req.streaming, req.label).toBe(true);
        accepted += 1;
        return;
      }
      expect(answer.code, `${req.label}: ${answer.message}`).not.toBeUndefined();
      expect(SERVER_FAULTS.has(answer.code!), `${req.label}: code ${answer.code} ${answer.message}`).toBe(false);
      if (answer.code !== OK) {
        expect(await target.state(), `${req.label} was refused (${answer.code}) but changed the state`).toBe(before);
        return;
      }
      accepted += 1;
      await target.settle();
    }),
    { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false, endOnFailure: true },
  );
  console.info(`wire fuzz: ${sent} requests (${accepted} accepted) in ${Math.round((Date.now() - started) / 1000)} s, seed ${SEED}`);
  // The generator is not so hostile that nothing gets through: valid traffic ran too.
  expect(accepted).toBeGreaterThan(0);
  expect(target.rssBytes()).toBeLessThan(512 * 1024 * 1024);
}, (SECONDS + 60) * 1000);

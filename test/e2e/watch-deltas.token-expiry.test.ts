/**
 * A subscriber's WatchDeltas stream ends with UNAUTHENTICATED when its token
 * expires (no clock skew allowed here, so at `exp`), carrying the resume
 * cursors in the `ssp-resume-from` trailer as an overflow does; a reconnect
 * with a fresh token and those cursors continues with exactly the deltas
 * missed in between, no snapshot, no gap, no repeat.
 */
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Operation, type WatchDeltasResponse } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { createSubscriberTokenVerifier } from "../../src/auth/index.js";
import { RESUME_FROM_TRAILER } from "../../src/server/errors.js";
import { bearer, sspClient, transport } from "../support/clients.js";
import { grpcJsClients } from "../support/grpc-js-clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { makeTestKeys, type TestKeys } from "../support/tokens.js";

const SECRET = "service secret for token expiry";

let keys: TestKeys;
let real: RealCore;
let ts: TestServer;
const service = () => sspClient(transport("grpc/2", ts.url));
const ingest = (key: number) =>
  service().ingest({ change: { op: Operation.UPDATE, id: `user:${key}`, record: { name: `u${key}` } as never } }, { headers: bearer(SECRET) });

beforeAll(async () => {
  keys = await makeTestKeys();
  real = await startRealCore({ SSP_WATCH_HEARTBEAT_MS: "60000" });
  const subscriberTokens = await createSubscriberTokenVerifier({ hs256Secret: keys.hs256Secret, clientClaim: "sub", clockSkewS: 0 });
  ts = await startTestServer(real.core, { secret: SECRET, server: { subscriberTokens } });
  await service().registerView({ id: "v", surql: "SELECT * FROM user", clientId: "alice" }, { headers: bearer(SECRET) });
  await ingest(1);
});
afterAll(async () => {
  await ts?.close();
  await real?.dispose();
});

it("ends at the token's expiry with the cursors, and a fresh token resumes without gaps", { timeout: 30_000 }, async () => {
  // At least two seconds ahead, so the stream is open well before it expires.
  const exp = Math.floor(Date.now() / 1000) + 3;
  const token = await keys.token("alice", { exp });
  const received: WatchDeltasResponse["kind"][] = [];
  const stream = sspClient(transport("grpc/2", ts.url)).watchDeltas({ viewIds: ["v"] }, { headers: bearer(token) });
  let ended: ConnectError | undefined;
  const reading = (async () => {
    try {
      for await (const message of stream) if (message.kind.case !== "heartbeat") received.push(message.kind);
    } catch (err) {
      ended = ConnectError.from(err);
    }
  })();
  await until(() => received.length === 1);
  await ingest(2);
  await ingest(3);
  await until(() => received.length === 3);
  await reading;
  const endedAt = Date.now();

  expect(ended?.code).toBe(Code.Unauthenticated);
  expect(ended?.rawMessage).toMatch(/^credentials expired at .*; reconnect with a fresh token and resume from \{v=\d+\}$/);
  expect(endedAt).toBeGreaterThanOrEqual(exp * 1000);
  expect(received.map((m) => m.case)).toEqual(["snapshot", "delta", "delta"]);
  const last = received[2]!.value as { sequence: bigint };
  const cursors = JSON.parse(ended?.metadata.get(RESUME_FROM_TRAILER) ?? "{}") as Record<string, number>;
  expect(cursors).toEqual({ v: Number(last.sequence) });

  // Missed while disconnected: exactly these arrive after the reconnect.
  await ingest(4);
  await ingest(5);
  const fresh = await keys.token("alice", { ttlS: 600 });
  const resumed: WatchDeltasResponse["kind"][] = [];
  const abort = new AbortController();
  const again = sspClient(transport("grpc/2", ts.url)).watchDeltas(
    { viewIds: ["v"], resumeFrom: { v: BigInt(cursors.v!) } },
    { headers: bearer(fresh), signal: abort.signal },
  );
  for await (const message of again) {
    if (message.kind.case === "heartbeat") continue;
    resumed.push(message.kind);
    if (resumed.length === 2) break;
  }
  abort.abort();
  expect(resumed.map((m) => m.case)).toEqual(["delta", "delta"]);
  const sequences = resumed.map((m) => Number((m.value as { sequence: bigint }).sequence));
  expect(sequences).toEqual([cursors.v! + 1, cursors.v! + 2]);
  const ids = resumed.map((m) => (m.value as { deltas: { id: string }[] }).deltas.map((d) => d.id));
  expect(ids).toEqual([["user:4"], ["user:5"]]);
});

it("ends a grpc-js stream the same way, with the cursors in its trailers", { timeout: 30_000 }, async () => {
  const { ssp } = grpcJsClients(ts.server.port);
  try {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${await keys.token("alice", { exp })}`);
    const outcome = await new Promise<{ kinds: string[]; error: grpc.ServiceError }>((resolve) => {
      const kinds: string[] = [];
      const call = ssp.WatchDeltas!({ viewIds: ["v"] }, md) as grpc.ClientReadableStream<{ kind: string }>;
      call.on("data", (m) => kinds.push(m.kind));
      call.on("error", (error: grpc.ServiceError) => resolve({ kinds, error }));
    });
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect(outcome.kinds).toEqual(["snapshot"]);
    expect(outcome.error.code).toBe(grpc.status.UNAUTHENTICATED);
    const view = (await real.core.getView("v"))!;
    expect(JSON.parse(String(outcome.error.metadata.get(RESUME_FROM_TRAILER)[0]))).toEqual({ v: view.sequence });
  } finally {
    ssp.close();
  }
});

it("refuses a token that expired before the stream opened, sending nothing", async () => {
  const token = await keys.token("alice", { ttlS: -1 });
  const received: unknown[] = [];
  const err = await (async () => {
    for await (const message of sspClient(transport("connect/1.1", ts.url)).watchDeltas({ viewIds: ["v"] }, { headers: bearer(token) })) {
      received.push(message);
    }
  })().then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err?.code).toBe(Code.Unauthenticated);
  expect(err?.rawMessage).toBe("subscriber token expired");
  expect(received).toEqual([]);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

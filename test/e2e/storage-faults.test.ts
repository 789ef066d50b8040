/**
 * SSP's own files failing under it, with a real fault from the kernel: the
 * process runs under RLIMIT_FSIZE, so a write that takes a file past the limit
 * fails with EFBIG, as on a full disk.
 *
 * - The journal cannot write: the mutation is answered UNAVAILABLE (not
 *   acknowledged), every later mutation and read is refused the same way without
 *   touching the state, readiness (HTTP and gRPC health) turns NOT_SERVING with
 *   the reason, `ssp_readiness_check{check="journal"}` reads 0, and a restart
 *   brings back exactly the acknowledged writes.
 * - A snapshot cannot be written: readiness fails with the reason while it lasts,
 *   Save answers RESOURCE_EXHAUSTED, the failures are counted, and readiness
 *   recovers once a save succeeds again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { healthClient, sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";

type Ssp = ReturnType<typeof sspClient>;

const FILE_LIMIT_BYTES = 1 << 20;
/** Bodies big enough to pass the limit in a few dozen writes. */
const PAD = "x".repeat(64 * 1024);

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-storage-faults-"));
  dirs.push(dir);
  return dir;
}

interface Running {
  readonly ssp: SspProcess;
  readonly client: Ssp;
  readonly url: string;
}

async function start(dir: string, env: Record<string, string>, fileSizeLimitBytes?: number): Promise<Running> {
  const ssp = spawnSsp(
    { SPOOKY_INSECURE_DEV: "1", LISTEN_ADDR: "127.0.0.1:0", SPOOKY_DATA_DIR: dir, SURREALDB_URL: "mem://", ...env },
    { fileSizeLimitBytes },
  );
  const started = await ssp.waitForLog(/^SSP listening on /, 60_000);
  const url = `http://${String(started.address)}`;
  return { ssp, client: sspClient(transport("grpc/2", url)), url };
}

/** The call's error code and message, or "ok". */
async function outcome(call: Promise<unknown>): Promise<[Code, string] | "ok"> {
  try {
    await call;
    return "ok";
  } catch (err) {
    const e = ConnectError.from(err);
    return [e.code, e.rawMessage];
  }
}

interface ReadyBody {
  status: string;
  failing?: string[];
  checks: Record<string, { ok: boolean; detail?: string }>;
}

async function ready(url: string): Promise<{ status: number; body: ReadyBody }> {
  const res = await fetch(`${url}/health/ready`);
  return { status: res.status, body: (await res.json()) as ReadyBody };
}

async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const put = (client: Ssp, key: number) => client.ingest({ change: { op: Operation.UPDATE, id: `item:${key}`, record: { pad: PAD } } });

const members = async (client: Ssp) => (await client.getView({ id: "all" })).members.map((m) => m.id).sort();
const items = (count: number) => Array.from({ length: count }, (_, i) => `item:${i + 1}`).sort();

describe.concurrent("storage faults", () => {
  it("a journal that cannot write: UNAVAILABLE, nothing changes after, NOT_SERVING with the reason, and a restart keeps exactly what was acknowledged", async () => {
    const dir = await dataDir();
    const noSnapshots = { SAVE_DEBOUNCE_MS: "600000", SAVE_MAX_DELAY_MS: "600000" };
    let { ssp, client, url } = await start(dir, noSnapshots, FILE_LIMIT_BYTES);
    try {
      await client.registerView({ id: "all", surql: "SELECT * FROM item", clientId: "app" });
      expect((await ready(url)).status).toBe(200);
      expect(await metric(url, 'ssp_readiness_check{check="journal"}')).toBe(1);

      // Each ingest is one journal entry of ~64 KiB: the segment file soon passes the limit.
      let acked = 0;
      let failure: [Code, string] | "ok" = "ok";
      for (let key = 1; key <= (4 * FILE_LIMIT_BYTES) / PAD.length && failure === "ok"; key++) {
        failure = await outcome(put(client, key));
        if (failure === "ok") acked = key;
      }
      expect(acked).toBeGreaterThan(0);
      expect(failure).toEqual([Code.Unavailable, expect.stringMatching(/^the journal cannot write, .*EFBIG/)]);

      // From now on every mutation and read is refused the same way.
      const refused = [
        await outcome(put(client, 1000)),
        await outcome(client.registerView({ id: "other", surql: "SELECT * FROM item", clientId: "app" })),
        await outcome(client.unregisterView({ id: "all" })),
        await outcome(client.getView({ id: "all" })),
        await outcome(client.listViews({})),
        await outcome(client.save({})),
      ];
      for (const r of refused) expect(r).toEqual([Code.Unavailable, expect.stringMatching(/^the journal cannot write, /)]);

      const { status, body } = await ready(url);
      expect([status, body.status, body.failing]).toEqual([503, "not ready", ["journal"]]);
      expect(body.checks.journal?.detail).toMatch(/^cannot write; mutations and reads are refused until SSP restarts: .*EFBIG/);
      const health = await healthClient(transport("grpc/2", url)).check({ service: "" });
      expect(health.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      expect(await metric(url, 'ssp_readiness_check{check="journal"}')).toBe(0);

      ssp.child.kill("SIGKILL");
      await ssp.exited;
      ({ ssp, client, url } = await start(dir, noSnapshots));
      expect(await members(client)).toEqual(items(acked));
      expect((await ready(url)).status).toBe(200);
    } finally {
      ssp.child.kill("SIGKILL");
      await ssp.exited;
    }
  }, 180_000);

  it("a snapshot that cannot be written: NOT_SERVING with the reason while it lasts, Save answers RESOURCE_EXHAUSTED, failures counted", async () => {
    const dir = await dataDir();
    // Without the journal only the snapshot is written, so only it meets the limit.
    const { ssp, client, url } = await start(dir, { SSP_JOURNAL: "0", SAVE_DEBOUNCE_MS: "100", SAVE_MAX_DELAY_MS: "1000" }, FILE_LIMIT_BYTES);
    try {
      await client.registerView({ id: "all", surql: "SELECT * FROM item", clientId: "app" });
      // Three times the limit: `ulimit -f` counts 512- or 1024-byte blocks, depending on the shell.
      const count = (3 * FILE_LIMIT_BYTES) / PAD.length;
      for (let key = 1; key <= count; key++) await put(client, key);

      // The timers' save fails on its own, with no RPC to report it.
      let seen = await ready(url);
      for (const until = Date.now() + 60_000; seen.status === 200 && Date.now() < until; seen = await ready(url)) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect([seen.status, seen.body.failing]).toEqual([503, ["snapshot"]]);
      expect(seen.body.checks.snapshot?.detail).toMatch(/^the last save failed \d+ s ago \(retried\): .*EFBIG/);
      expect(await metric(url, 'ssp_readiness_check{check="snapshot"}')).toBe(0);
      expect(await outcome(client.save({}))).toEqual([Code.ResourceExhausted, expect.stringMatching(/^the snapshot could not be written \(EFBIG\)/)]);
      expect(await metric(url, "ssp_snapshot_failures_total")).toBeGreaterThanOrEqual(2);
      // Mutations go on (they are not journalled): the state shrinks, and the next save succeeds.
      expect(await members(client)).toEqual(items(count));
      for (let key = 1; key <= count; key++) await client.ingest({ change: { op: Operation.DELETE, id: `item:${key}` } });
      expect(await outcome(client.save({}))).toBe("ok");
      expect((await ready(url)).status).toBe(200);
      expect(await metric(url, 'ssp_readiness_check{check="snapshot"}')).toBe(1);
    } finally {
      ssp.child.kill("SIGKILL");
      await ssp.exited;
    }
  }, 180_000);
});

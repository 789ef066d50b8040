/**
 * `buf curl` (the binary from @bufbuild/buf) reaches every RPC: with the schema
 * from server reflection (the README's recipes), and with the schema from
 * proto/, over gRPC on cleartext HTTP/2 and Connect over HTTP/1.1.
 * test/e2e/reflection.buf-curl.test.ts covers reflection itself.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUF = path.join(ROOT, "node_modules/.bin/buf");
const SECRET = "buf-secret";
const SERVICE = "spooky.ssp.v1.StreamProcessorService";

interface BufResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function bufCurl(args: string[]): Promise<BufResult> {
  return new Promise((resolve) => {
    execFile(BUF, ["curl", ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

/** Every RPC with a request body as the README writes it, and something its answer holds. */
const RPCS: [string, object, RegExp][] = [
  ["Ingest", { change: { op: "OPERATION_CREATE", id: "user:1", record: { name: "Ada", team: { $rid: "team:1" } } } }, /"EDGE_STATUS_COMMITTED"/],
  ["IngestBatch", { changes: [{ op: "OPERATION_UPDATE", id: "user:1", record: { name: "Ada L." } }, { op: "OPERATION_DELETE", id: "user:2" }] }, /"applied": 2/],
  ["RegisterView", { id: "team-1-users", surql: "SELECT * FROM user WHERE team = $team", params: { team: { $rid: "team:1" } }, client_id: "app-1", ttl: "3600s" }, /"viewId": "team-1-users"/],
  ["GetView", { id: "team-1-users" }, /"memberCount": 2/],
  ["ListViews", { client_id: "app-1" }, /"views"/],
  ["WatchDeltas", { view_ids: ["team-1-users"], include_records: true }, /"snapshot"[\s\S]*"delta"/],
  ["Save", {}, /"bytes": "1234"/],
  ["GetServerInfo", {}, /"version"/],
  ["ResyncEdges", { view_id: "team-1-users" }, /"added": "1"/],
  ["UnregisterView", { id: "team-1-users" }, /"EDGE_STATUS_COMMITTED"/],
  ["Reset", {}, /\{\}/],
];

/**
 * Each buf process with --schema costs a schema compile, so HTTP/1.1 runs a
 * representative few. Reflection gets the token through its own header, so a
 * call's `-H` is the call's alone.
 */
const MODES: [string, string[], readonly string[]][] = [
  ["gRPC, schema by reflection", ["--protocol", "grpc", "--reflect-header", `Authorization: Bearer ${SECRET}`], RPCS.map(([rpc]) => rpc)],
  ["gRPC over HTTP/2 (prior knowledge)", ["--schema", "proto", "--protocol", "grpc", "--http2-prior-knowledge"], RPCS.map(([rpc]) => rpc)],
  ["Connect over HTTP/1.1", ["--schema", "proto"], ["Ingest", "RegisterView", "WatchDeltas", "GetServerInfo"]],
];

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { secret: SECRET });
});
afterAll(() => ts.close());

describe.each(MODES)("%s", (_label, flags, rpcs) => {
  const cases = RPCS.filter(([rpc]) => rpcs.includes(rpc));
  // One process per RPC, all at once: buf compiles the schema on each start.
  let results: Map<string, BufResult>;
  beforeAll(async () => {
    const runs = cases.map(async ([rpc, body]) => {
      const result = await bufCurl([...flags, "-H", `Authorization: Bearer ${SECRET}`, "-d", JSON.stringify(body), `${ts.url}/${SERVICE}/${rpc}`]);
      return [rpc, result] as const;
    });
    results = new Map(await Promise.all(runs));
  });

  it.each(cases)("reaches %s", (rpc, _body, answer) => {
    const result = results.get(rpc)!;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(answer);
  });

  it("checks health without a token, and is refused without one elsewhere", async () => {
    const [healthy, refused] = await Promise.all([
      bufCurl([...flags, `${ts.url}/grpc.health.v1.Health/Check`]),
      bufCurl([...flags, `${ts.url}/${SERVICE}/GetServerInfo`]),
    ]);
    expect(healthy.stdout).toMatch(/"status": "SERVING"/);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthenticated/);
  });
});

it("passes Struct bodies with record links through as plain JSON", () => {
  // The buf runs were concurrent: pick the single-change ingest by its content.
  const ingest = core.calls.find((c) => c.method === "ingest" && (c.args[0] as { op: string }[])[0]?.op === "CREATE");
  expect(ingest?.args[0]).toEqual([{ op: "CREATE", id: "user:1", table: undefined, body: { name: "Ada", team: { $rid: "team:1" } }, version: undefined }]);
  const register = core.calls.find((c) => c.method === "registerView");
  expect(register?.args[0]).toMatchObject({ params: { team: { $rid: "team:1" } }, clientId: "app-1", ttlMs: 3_600_000 });
});

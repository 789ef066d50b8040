/**
 * `buf curl` with no `--schema`: the schema comes from SSP's own reflection
 * service, v1 and v1alpha (`--reflect-protocol`), over gRPC and over the
 * Connect protocol on HTTP/2. buf curl sends `-H` headers to reflection only
 * with `--reflect-header '*'` (or its own `--reflect-header` values), so the
 * recipes in the README pass the token that way. Runs from an empty directory,
 * so no .proto file can be found by accident.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUF = path.join(ROOT, "node_modules/.bin/buf");
const SECRET = "reflect-secret";
const SERVICE = "spooky.ssp.v1.StreamProcessorService";
const AUTH = `Authorization: Bearer ${SECRET}`;

interface BufResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let cwd: string;
function bufCurl(args: string[]): Promise<BufResult> {
  return new Promise((resolve) => {
    execFile(BUF, ["curl", ...args], { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

/** The methods `--list-methods` prints, one per line. */
const METHODS = [
  "grpc.health.v1.Health/Check",
  "grpc.health.v1.Health/Watch",
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
  ...["GetServerInfo", "GetView", "Ingest", "IngestBatch", "ListViews", "RegisterView", "Reset", "ResyncEdges", "Save", "UnregisterView", "WatchDeltas"].map(
    (m) => `${SERVICE}/${m}`,
  ),
];

let core: FakeCore;
let closed: TestServer;
let open: TestServer;
beforeAll(async () => {
  cwd = mkdtempSync(path.join(tmpdir(), "ssp-reflect-"));
  core = createFakeCore();
  [closed, open] = await Promise.all([
    startTestServer(core, { secret: SECRET }),
    startTestServer(core, { secret: SECRET, reflectionPublic: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([closed.close(), open.close()]);
  rmSync(cwd, { recursive: true, force: true });
});

/** The reflection calls a server logged, with their codes. */
function reflectionLog(ts: TestServer, from: number): [string, unknown][] {
  return ts.logs
    .slice(from)
    .filter((l) => l.msg === "rpc" && String(l.method).startsWith("grpc.reflection."))
    .map((l) => [String(l.method).split("/")[0]!, l.code]);
}

describe.each([
  ["grpc-v1", "grpc.reflection.v1.ServerReflection"],
  ["grpc-v1alpha", "grpc.reflection.v1alpha.ServerReflection"],
])("--reflect-protocol %s", (protocol, reflection) => {
  const reflect = ["--reflect-protocol", protocol];

  it("lists services and methods", async () => {
    const from = closed.logs.length;
    const [services, methods] = await Promise.all([
      bufCurl([...reflect, "--reflect-header", AUTH, "--list-services", closed.url]),
      bufCurl([...reflect, "--reflect-header", AUTH, "--list-methods", closed.url]),
    ]);
    expect([services.code, services.stderr]).toEqual([0, ""]);
    expect(services.stdout.trim().split("\n")).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      SERVICE,
    ]);
    expect([methods.code, methods.stderr]).toEqual([0, ""]);
    expect(methods.stdout.trim().split("\n")).toEqual(METHODS);
    expect(reflectionLog(closed, from)).toEqual([
      [reflection, "OK"],
      [reflection, "OK"],
    ]);
  });

  it.each([
    ["gRPC", ["--protocol", "grpc"]],
    ["Connect over HTTP/2", []],
  ])("calls RPCs over %s with the schema it reflected, Struct and Duration fields included", async (_label, flags) => {
    const register = { id: `reflected-${protocol}`, surql: "SELECT * FROM user WHERE team = $team", params: { team: { $rid: "team:1" } }, client_id: "app-r", ttl: "90s" };
    const [info, registered] = await Promise.all([
      bufCurl([...reflect, ...flags, "--reflect-header", "*", "-H", AUTH, "-d", "{}", `${closed.url}/${SERVICE}/GetServerInfo`]),
      bufCurl([...reflect, ...flags, "--reflect-header", "*", "-H", AUTH, "-d", JSON.stringify(register), `${closed.url}/${SERVICE}/RegisterView`]),
    ]);
    expect([info.code, info.stderr]).toEqual([0, ""]);
    expect(info.stdout).toMatch(/"version": "0\.1\.0"/);
    expect([registered.code, registered.stderr]).toEqual([0, ""]);
    expect(registered.stdout).toMatch(/"viewId": "reflected-/);
    const call = core.calls.find((c) => c.method === "registerView" && (c.args[0] as { id: string }).id === register.id);
    expect(call?.args[0]).toMatchObject({ params: { team: { $rid: "team:1" } }, clientId: "app-r", ttlMs: 90_000 });
  });

  it("is refused without the token, and the RPC is never made", async () => {
    const from = closed.logs.length;
    const calls = core.calls.length;
    const [bare, wrong] = await Promise.all([
      bufCurl([...reflect, "--list-services", closed.url]),
      // The RPC's own header is right; reflection's is not sent without --reflect-header.
      bufCurl([...reflect, "-H", AUTH, "-d", "{}", `${closed.url}/${SERVICE}/GetServerInfo`]),
    ]);
    // buf words a refused reflection call its own way: a Buf Schema Registry
    // login problem when listing, an unknown service when calling; the server's
    // log below holds the code it answered.
    expect([bare.code, bare.stdout]).toEqual([1, ""]);
    expect(bare.stderr).toMatch(/not authenticated/);
    expect([wrong.code, wrong.stdout]).toEqual([1, ""]);
    expect(wrong.stderr).toMatch(/failed to find service named "spooky.ssp.v1.StreamProcessorService"/);
    expect(reflectionLog(closed, from)).toEqual([
      [reflection, "UNAUTHENTICATED"],
      [reflection, "UNAUTHENTICATED"],
    ]);
    expect(closed.logs.slice(from).some((l) => l.method === `${SERVICE}/GetServerInfo`)).toBe(false);
    expect(core.calls.length).toBe(calls);
  });

  it("answers without a token when SSP_REFLECTION_PUBLIC=1, while the RPCs still need one", async () => {
    const [services, bare, authed] = await Promise.all([
      bufCurl([...reflect, "--list-services", open.url]),
      bufCurl([...reflect, "-d", "{}", `${open.url}/${SERVICE}/GetServerInfo`]),
      bufCurl([...reflect, "-H", AUTH, "-d", "{}", `${open.url}/${SERVICE}/GetServerInfo`]),
    ]);
    expect([services.code, services.stderr]).toEqual([0, ""]);
    expect(services.stdout).toContain(SERVICE);
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/"code": "unauthenticated"/);
    expect([authed.code, authed.stderr]).toEqual([0, ""]);
    expect(authed.stdout).toMatch(/"version"/);
  });
});

it("checks health with no schema and no token when reflection is public", async () => {
  const health = await bufCurl(["-d", "{}", `${open.url}/grpc.health.v1.Health/Check`]);
  expect([health.code, health.stderr]).toEqual([0, ""]);
  expect(health.stdout).toMatch(/"status": "SERVING"/);
});

/**
 * Probes: grpc.health.v1 Check and Watch follow the core's readiness;
 * /health/live always answers 200; /health/ready is 200 only when every check
 * passes, otherwise 503 with a JSON body naming the failing check.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { healthClient, transport } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { server: { healthWatchIntervalMs: 20, readinessTimeoutMs: 200 } });
});
afterAll(() => ts.close());
const health = () => healthClient(transport("grpc/2", ts.url));
const notReady = { ready: false, checks: { surrealdb: { ok: false, detail: "connection refused" }, state: { ok: true } } };

it("/health/live answers 200 over HTTP/1.1", async () => {
  const res = await fetch(`${ts.url}/health/live`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "live" });
  expect(res.headers.get("x-request-id")).toMatch(/.+/);
});

it("/health/ready answers 200 with the checks when ready", async () => {
  const res = await fetch(`${ts.url}/health/ready`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ready", checks: { server: { ok: true }, fake: { ok: true } } });
});

it("/health/ready answers 503 naming the failing check, and Check says NOT_SERVING", async () => {
  core.ready = notReady;
  try {
    const res = await fetch(`${ts.url}/health/ready`);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      status: "not ready",
      failing: ["surrealdb"],
      checks: { server: { ok: true }, surrealdb: { ok: false, detail: "connection refused" }, state: { ok: true } },
    });
    expect((await health().check({ service: "" })).status).toBe(Status.NOT_SERVING);
  } finally {
    core.ready = { ready: true, checks: {} };
  }
});

it("a readiness check that hangs counts as failing", async () => {
  const hung = await startTestServer(
    { ...createFakeCore(), readiness: () => new Promise(() => undefined) },
    { server: { readinessTimeoutMs: 50 } },
  );
  try {
    const res = await fetch(`${hung.url}/health/ready`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ failing: ["core"], checks: { core: { ok: false, detail: "no answer within 50 ms" } } });
  } finally {
    await hung.close();
  }
});

it("Check answers SERVING for the server and for SSP's service, NOT_FOUND for others", async () => {
  expect((await health().check({ service: "" })).status).toBe(Status.SERVING);
  expect((await health().check({ service: "spooky.ssp.v1.StreamProcessorService" })).status).toBe(Status.SERVING);
  const err = await health()
    .check({ service: "no.such.Service" })
    .catch((e: unknown) => ConnectError.from(e));
  expect(err).toBeInstanceOf(ConnectError);
  expect((err as ConnectError).code).toBe(Code.NotFound);
});

it("Watch reports the status, then each change", async () => {
  const abort = new AbortController();
  const seen: Status[] = [];
  for await (const msg of health().watch({ service: "" }, { signal: abort.signal })) {
    seen.push(msg.status);
    if (seen.length === 1) core.ready = notReady;
    if (seen.length === 2) core.ready = { ready: true, checks: {} };
    if (seen.length === 3) break;
  }
  expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
});

it("Watch of an unknown service says SERVICE_UNKNOWN and keeps the call open", async () => {
  const it = health().watch({ service: "no.such.Service" })[Symbol.asyncIterator]();
  expect((await it.next()).value?.status).toBe(Status.SERVICE_UNKNOWN);
  const next = await Promise.race([it.next().then(() => "message"), new Promise((r) => setTimeout(() => r("open"), 100))]);
  expect(next).toBe("open");
  await it.return?.();
});

it("plain routes others add are served, and unknown paths get 404", async () => {
  ts.server.addRoute("/metrics", (_req, res) => {
    res.setHeader("content-type", "text/plain");
    res.end("ssp_up 1\n");
  });
  const res = await fetch(`${ts.url}/metrics`);
  expect([res.status, await res.text()]).toEqual([200, "ssp_up 1\n"]);
  expect((await fetch(`${ts.url}/nope`)).status).toBe(404);
});

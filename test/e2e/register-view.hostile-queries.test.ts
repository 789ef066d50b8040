/**
 * Hostile view queries through the real service (real core, embedded SurrealDB,
 * Connect over HTTP/2): queries past a limit are refused with INVALID_ARGUMENT
 * naming it and leave the state untouched; a query that traps SurrealDB's parser
 * costs only its own request; a parser that cannot be recovered turns readiness
 * NOT_SERVING with the reason in the body and in a metric.
 */
import { Writable } from "node:stream";
import { Code } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { freshInstance, SurrealQLParser } from "../../src/circuit/index.js";
import { failure, healthClient, sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { parsePrometheusText, valueOf } from "../telemetry/prometheus-text.js";

const ors = (n: number) => `SELECT * FROM u WHERE ${Array.from({ length: n }, (_, i) => `a = ${i}`).join(" OR ")}`;
/** A view whose subqueries nest `levels` deep. */
function subqueries(levels: number): string {
  let q = "SELECT * FROM v WHERE p = $parent.id";
  for (let i = 1; i < levels; i++) q = `SELECT *, (${q}) AS s FROM v WHERE p = $parent.id`;
  return `SELECT *, (${q}) AS s FROM u`;
}
/** Overflows ql-wasm's stack: "memory access out of bounds" (the input that poisoned the service). */
const TRAPPING = ors(3000);

interface Service {
  readonly rc: RealCore;
  readonly ts: TestServer;
  readonly logs: Record<string, unknown>[];
}

async function startService(env: Record<string, string>, parser?: SurrealQLParser): Promise<Service> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const rc = await startRealCore({ SURREALDB_URL: "mem://", ...env }, undefined, { logger: pino({ level: "info" }, sink), ...(parser ? { parser } : {}) });
  const ts = await startTestServer(rc.core, { server: { routes: new Map([["/metrics", rc.telemetry.prometheus]]), healthWatchIntervalMs: 20 } });
  return { rc, ts, logs };
}

async function metrics(ts: TestServer) {
  return parsePrometheusText(await (await fetch(`${ts.url}/metrics`)).text());
}

describe("queries past a limit", () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService({});
  });
  afterAll(async () => {
    await service.ts.close();
    await service.rc.dispose();
  });
  const client = () => sspClient(transport("grpc/2", service.ts.url));
  const state = async () => {
    const c = client();
    const snapshot = [await c.listViews({}), await c.getView({ id: "kept" }), (await c.getServerInfo({})).views];
    return JSON.stringify(snapshot, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
  };

  it.each([
    ["3,000 ORs (trapped the parser)", ors(3000), /operators and brackets.*SSP_VIEW_MAX_QUERY_OPERATORS/],
    ["2,000 ORs (answered INTERNAL)", ors(2000), /operators and brackets.*SSP_VIEW_MAX_QUERY_OPERATORS/],
    ["2,500 nested NOTs", `SELECT * FROM u WHERE ${"!".repeat(2500)}a`, /SSP_VIEW_MAX_QUERY_OPERATORS/],
    ["1,800 nested calls", `SELECT * FROM u WHERE a = ${"math::abs(".repeat(1800)}1${")".repeat(1800)}`, /SSP_VIEW_MAX_QUERY_OPERATORS/],
    ["a 1 MB query", `SELECT * FROM u WHERE a = '${"x".repeat(1 << 20)}'`, /the query is 1048604 bytes, over the limit of 65536 bytes \(SSP_VIEW_MAX_QUERY_BYTES\)/],
    [
      "subqueries 9 levels deep",
      subqueries(9),
      /SSP_VIEW_MAX_SUBQUERY_DEPTH/,
    ],
  ])("%s: INVALID_ARGUMENT naming the limit, state untouched, and the next registration succeeds", async (_name, surql, message) => {
    await client().registerView({ id: "kept", surql: "SELECT * FROM u", clientId: "c" });
    const before = await state();
    const err = await failure(client().registerView({ id: "hostile", surql, clientId: "c" }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(message);
    expect(await state()).toBe(before);
    await client().registerView({ id: "next", surql: "SELECT * FROM u WHERE a = 1", clientId: "c" });
    await client().unregisterView({ id: "next" });
  });

  it("none of them reached the parser: no restart counted, the parser available", async () => {
    const families = await metrics(service.ts);
    expect(valueOf(families, "ssp_parser_restarts_total")).toBe(0);
    expect(valueOf(families, "ssp_parser_available")).toBe(1);
  });
});

describe("a query that traps the parser", () => {
  let service: Service;
  beforeAll(async () => {
    // Limits raised so that the trapping query reaches the parser; the core gets its own parser instance.
    service = await startService({ SSP_VIEW_MAX_QUERY_OPERATORS: "1000000" }, await SurrealQLParser.create());
  });
  afterAll(async () => {
    await service.ts.close();
    await service.rc.dispose();
  });
  const client = () => sspClient(transport("grpc/2", service.ts.url));

  it("costs only its own request: INVALID_ARGUMENT, then a fresh parser serves the next RegisterView; logged and counted", async () => {
    const err = await failure(client().registerView({ id: "trap", surql: TRAPPING, clientId: "c" }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/the SurrealQL parser failed on this query \(RuntimeError: memory access out of bounds\)/);

    const ok = await client().registerView({ id: "after", surql: "SELECT * FROM u", clientId: "c" });
    expect(ok.viewId).toBe("after");
    expect((await client().listViews({})).views.map((v) => v.id)).toEqual(["after"]);

    expect(valueOf(await metrics(service.ts), "ssp_parser_restarts_total")).toBe(1);
    expect(valueOf(await metrics(service.ts), "ssp_parser_available")).toBe(1);
    expect(service.logs.find((l) => l.msg === "the SurrealQL parser trapped on a view's query; starting a fresh instance")).toMatchObject({
      level: 40,
      err: "RuntimeError: memory access out of bounds",
    });
    expect(service.logs.some((l) => l.msg === "a fresh SurrealQL parser instance took over")).toBe(true);
    const ready = await fetch(`${service.ts.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, unknown> }).checks.parser).toEqual({ ok: true, detail: "restarts: 1" });
  });

  it("pipelined registrations behind the trapping one wait for the fresh parser and succeed", async () => {
    const c = client();
    const results = await Promise.allSettled([
      c.registerView({ id: "trap-2", surql: TRAPPING, clientId: "c" }),
      ...Array.from({ length: 5 }, (_, i) => c.registerView({ id: `behind-${i}`, surql: `SELECT * FROM u WHERE a = ${i}`, clientId: "c" })),
    ]);
    expect(results[0]!.status).toBe("rejected");
    expect(results.slice(1).map((r) => r.status)).toEqual(Array(5).fill("fulfilled"));
  });
});

describe("a parser that cannot be recovered", () => {
  let service: Service;
  beforeAll(async () => {
    // Every fresh instance is a real one, already trapped before it is handed over.
    const poisoned = async () => {
      const instance = await freshInstance();
      try {
        instance.parse(TRAPPING);
      } catch {
        // the trap is the point
      }
      return instance;
    };
    service = await startService({ SSP_VIEW_MAX_QUERY_OPERATORS: "1000000" }, new SurrealQLParser({ instance: await freshInstance(), load: poisoned }));
  });
  afterAll(async () => {
    await service.ts.close();
    await service.rc.dispose();
  });
  const client = () => sspClient(transport("grpc/2", service.ts.url));

  it("turns /health/ready 503 and gRPC health NOT_SERVING with the reason, sets the metric, and answers UNAVAILABLE", async () => {
    expect((await healthClient(transport("grpc/2", service.ts.url)).check({})).status).toBe(Status.SERVING);
    expect((await failure(client().registerView({ id: "trap", surql: TRAPPING, clientId: "c" }))).code).toBe(Code.InvalidArgument);

    const err = await failure(client().registerView({ id: "plain", surql: "SELECT * FROM u", clientId: "c" }));
    expect(err.code).toBe(Code.Unavailable);
    expect(err.rawMessage).toMatch(/the SurrealQL parser is unavailable: 3 fresh instances failed/);

    const ready = await fetch(`${service.ts.url}/health/ready`);
    expect(ready.status).toBe(503);
    const body = JSON.stringify(await ready.json());
    expect(body).toContain('"parser":{"ok":false,"detail":"unrecoverable: 3 fresh instances failed on \\"SELECT * FROM t\\" (RuntimeError: memory access out of bounds)"}');
    expect((await healthClient(transport("grpc/2", service.ts.url)).check({})).status).toBe(Status.NOT_SERVING);
    expect(valueOf(await metrics(service.ts), "ssp_parser_available")).toBe(0);
    expect(service.logs.some((l) => l.level === 50 && l.msg === "the SurrealQL parser cannot be recovered: views cannot be registered until SSP restarts")).toBe(true);
  });
});

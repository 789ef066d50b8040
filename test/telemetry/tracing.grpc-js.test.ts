// One trace from a backend's grpc-js call into SSP: the client span made by
// @opentelemetry/instrumentation-grpc, SSP's server span as its child (continued
// from `traceparent`), and the handler's `circuit.ingest` and `edges.write` under
// that. The grpc-js client is the example's own code, instrumented in this process
// before grpc-js is first loaded (it is loaded through require, which the
// instrumentation hooks).

import { Writable } from "node:stream";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest, instrumentGrpc, loadSspClient } from "../../examples/grpc-js-client.js";
import { type Telemetry, createLogger, setupTelemetry } from "../../src/telemetry/index.js";
import { type FakeSsp, startFakeSsp } from "./fake-ssp-server.js";
import { parsePrometheusText, valueOf } from "./prometheus-text.js";

const exporter = new InMemorySpanExporter();
const clientProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
instrumentGrpc(clientProvider);

const SERVICE = "spooky.ssp.v1.StreamProcessorService";
const logLines: string[] = [];
let telemetry: Telemetry;
let ssp: FakeSsp;
let client: ReturnType<typeof loadSspClient>;

beforeAll(async () => {
  telemetry = await setupTelemetry({ serviceVersion: "1.2.3", spanExporter: exporter, env: {} });
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      done();
    },
  });
  const logger = createLogger({ level: "info", format: "json", destination });
  ssp = await startFakeSsp(telemetry, [telemetry.rpcInterceptor({ accessLog: logger })], logger);
  client = loadSspClient(`127.0.0.1:${ssp.port}`);
});

afterAll(async () => {
  client?.client.close();
  await ssp?.close();
  await telemetry?.shutdown();
});

/** Runs `call`, flushes, and returns the spans of the trace it started. */
async function traced(call: () => Promise<unknown>): Promise<ReadableSpan[]> {
  exporter.reset();
  await call().catch(() => undefined);
  await telemetry.forceFlush();
  const spans = exporter.getFinishedSpans();
  const client = spans.find((s) => s.kind === SpanKind.CLIENT);
  expect(client, "the grpc-js client span").toBeDefined();
  return spans.filter((s) => s.spanContext().traceId === client?.spanContext().traceId);
}

const byName = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const span = spans.find((s) => s.name === name);
  if (span === undefined) throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(", ")}`);
  return span;
};
const isChildOf = (child: ReadableSpan, parent: ReadableSpan): boolean =>
  child.parentSpanContext?.spanId === parent.spanContext().spanId &&
  child.spanContext().traceId === parent.spanContext().traceId;

describe("a traced Ingest from an instrumented grpc-js client", () => {
  it("is one trace: client span → SSP server span → circuit.ingest and edges.write", async () => {
    const spans = await traced(() =>
      ingest(client, "token", { table: "user", op: "OPERATION_CREATE", id: "user:1" }, "req-ok-1"),
    );
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT) as ReadableSpan;
    const server = byName(spans, `${SERVICE}/Ingest`);
    const circuit = byName(spans, "circuit.ingest");
    const edges = byName(spans, "edges.write");

    expect(spans).toHaveLength(4);
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(isChildOf(server, clientSpan)).toBe(true);
    expect(isChildOf(circuit, server)).toBe(true);
    expect(isChildOf(edges, server)).toBe(true);
    expect(server.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.service": SERVICE,
      "rpc.method": "Ingest",
      "rpc.grpc.status_code": 0,
      "ssp.request_id": "req-ok-1",
    });
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(circuit.attributes).toMatchObject({ "ssp.table": "user", "ssp.views_affected": 2 });
    expect(edges.attributes).toMatchObject({ "ssp.edge.operations": 2, "ssp.edge.round_trips": 1 });
    expect(server.resource.attributes).toMatchObject({ "service.name": "ssp", "service.version": "1.2.3" });
  });

  it("marks a server fault as an error, with its status code, on the server and the child span", async () => {
    const spans = await traced(() => ingest(client, "token", { table: "user", op: "OPERATION_CREATE", id: "fail:internal" }));
    const server = byName(spans, `${SERVICE}/Ingest`);
    const circuit = byName(spans, "circuit.ingest");
    expect(server.attributes["rpc.grpc.status_code"]).toBe(13);
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: "engine invariant broken" });
    expect(circuit.status.code).toBe(SpanStatusCode.ERROR);
    expect(circuit.events.map((e) => e.name)).toContain("exception");
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(clientSpan.attributes["rpc.grpc.status_code"]).toBe(13);
    expect(clientSpan.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("records a caller's mistake by its status code, leaving the server span's status unset (semconv)", async () => {
    const spans = await traced(() => ingest(client, "token", { op: "OPERATION_CREATE", id: "fail:invalid" }));
    const server = byName(spans, `${SERVICE}/Ingest`);
    expect(server.attributes["rpc.grpc.status_code"]).toBe(3);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("gives a server stream one span, ended with the stream, with its events", async () => {
    const spans = await traced(
      () =>
        new Promise<void>((resolve, reject) => {
          const stream = client.client.watchDeltas({ viewIds: ["v1", "v2"] }, new client.grpc.Metadata());
          let received = 0;
          stream.on("data", () => (received += 1));
          stream.on("error", reject);
          stream.on("end", () => (received === 3 ? resolve() : reject(new Error(`received ${received}`))));
        }),
    );
    const server = byName(spans, `${SERVICE}/WatchDeltas`);
    expect(server.attributes).toMatchObject({ "rpc.method": "WatchDeltas", "rpc.grpc.status_code": 0, "ssp.stream.messages_sent": 3 });
    expect(server.events.filter((e) => e.name === "snapshot").map((e) => e.attributes?.["ssp.view_id"])).toEqual(["v1", "v2"]);
    const clientSpan = spans.find((s) => s.kind === SpanKind.CLIENT) as ReadableSpan;
    expect(isChildOf(server, clientSpan)).toBe(true);
  });

  it("ends a stream's span when the client cancels, as CANCELLED and not an error", async () => {
    const spans = await traced(
      () =>
        new Promise<void>((resolve) => {
          const stream = client.client.watchDeltas({ viewIds: ["hold"] }, new client.grpc.Metadata());
          stream.on("data", () => stream.cancel());
          stream.on("error", () => resolve());
        }),
    );
    // The server learns of the cancel asynchronously: wait for its span.
    const deadline = Date.now() + 5000;
    let server = spans.find((s) => s.name === `${SERVICE}/WatchDeltas`);
    while (server === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await telemetry.forceFlush();
      server = exporter.getFinishedSpans().find((s) => s.name === `${SERVICE}/WatchDeltas`);
    }
    expect(server?.attributes).toMatchObject({ "rpc.grpc.status_code": 1, "ssp.stream.messages_sent": 1 });
    expect(server?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("writes JSON log lines that carry the trace id of the request's span", async () => {
    logLines.length = 0;
    const spans = await traced(() => ingest(client, "token", { table: "user", op: "OPERATION_CREATE", id: "user:2" }, "req-log-1"));
    const server = byName(spans, `${SERVICE}/Ingest`);
    const lines = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const handlerLine = lines.find((l) => l.msg === "ingested");
    const accessLine = lines.find((l) => l.msg === "rpc");
    expect(handlerLine).toMatchObject({ level: "info", service: "ssp", table: "user", op: "create", trace_id: server.spanContext().traceId });
    expect(handlerLine?.span_id).toBe(server.spanContext().spanId);
    expect(accessLine).toMatchObject({
      trace_id: server.spanContext().traceId,
      span_id: server.spanContext().spanId,
      request_id: "req-log-1",
      rpc_method: `${SERVICE}/Ingest`,
      code: "OK",
    });
    expect(typeof accessLine?.duration_ms).toBe("number");
  });

  it("counts every RPC above in the RPC duration histogram, by method and code", async () => {
    const families = parsePrometheusText(await telemetry.renderMetrics());
    const labels = (method: string, code: string) => ({ rpc_system: "grpc", rpc_service: SERVICE, rpc_method: method, rpc_grpc_status_code: code });
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", labels("Ingest", "0"))).toBe(2);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", labels("Ingest", "13"))).toBe(1);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", labels("Ingest", "3"))).toBe(1);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", labels("WatchDeltas", "0"))).toBe(1);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", labels("WatchDeltas", "1"))).toBe(1);
    expect(valueOf(families, "ssp_ingest_total", { table: "user", op: "create" })).toBe(2);
  });
});

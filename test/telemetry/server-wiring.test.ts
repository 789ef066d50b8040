// The wiring main.ts does, against the real server: the telemetry interceptor in
// the server's interceptor slot, /metrics as a plain route on the service port,
// gauges read from the core, and child spans around the core's work.

import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { Operation, StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { Core } from "../../src/core/index.js";
import { checkStates } from "../../src/server/readiness.js";
import { type RunningServer, startServer } from "../../src/server/server.js";
import { SPAN_CIRCUIT_INGEST, type Telemetry, createLogger, setupTelemetry } from "../../src/telemetry/index.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { parsePrometheusText, valueOf } from "./prometheus-text.js";

const SECRET = "wiring-secret";
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN_ID = "b7ad6b7169203331";
const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let server: RunningServer;
let fake: FakeCore;

beforeAll(async () => {
  telemetry = await setupTelemetry({ serviceVersion: "9.9.9", spanExporter: exporter, env: {} });
  const logger = createLogger({ level: "warn", destination: new Writable({ write: (_c, _e, done) => done() }) });
  fake = createFakeCore();
  const core: Core = {
    ...fake,
    ingest: (changes) => telemetry.withSpan(SPAN_CIRCUIT_INGEST, undefined, () => fake.ingest?.(changes) ?? Promise.reject(new Error("no ingest"))),
  };
  telemetry.metrics.observeGauges({
    viewsActive: async () => (await core.info()).views,
    watchStreamsActive: async () => (await core.info()).streams,
    outboxPending: async () => (await core.info()).outboxPending,
  });
  server = await startServer({ listen: { host: "127.0.0.1", port: 0 }, authSecret: SECRET, shutdownTimeoutMs: 1000 }, core, logger, {
    interceptors: [telemetry.rpcInterceptor()],
    routes: new Map([["/metrics", telemetry.prometheus]]),
  });
  telemetry.metrics.observeGauges({ readinessChecks: async () => checkStates(await server.readiness()) });
});

afterAll(async () => {
  await server?.close();
  await telemetry?.shutdown();
});

describe("telemetry wired into the SSP server", () => {
  it("serves /metrics on the service port without a token, with gauges read from the core", async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const families = parsePrometheusText(await response.text());
    expect(valueOf(families, "ssp_views_active")).toBe(2);
    expect(valueOf(families, "ssp_watch_streams_active")).toBe(1);
    expect(valueOf(families, "ssp_outbox_pending")).toBe(0);
  });

  it("exports each readiness check as ssp_readiness_check{check}: 1 while it passes, 0 while it fails", async () => {
    const scrape = async () => parsePrometheusText(await (await fetch(`${server.url}/metrics`)).text());
    const passing = fake.ready;
    try {
      expect(valueOf(await scrape(), "ssp_readiness_check", { check: "server" })).toBe(1);
      fake.ready = { ready: false, checks: { journal: { ok: false, detail: "cannot write" }, outbox: { ok: true } } };
      const families = await scrape();
      expect(valueOf(families, "ssp_readiness_check", { check: "journal" })).toBe(0);
      expect(valueOf(families, "ssp_readiness_check", { check: "outbox" })).toBe(1);
      expect(valueOf(families, "ssp_readiness_check", { check: "server" })).toBe(1);
    } finally {
      fake.ready = passing;
    }
  });

  it("continues the caller's trace through an authenticated Ingest, with the core's work as a child", async () => {
    exporter.reset();
    const client = createClient(StreamProcessorService, createGrpcTransport({ baseUrl: server.url }));
    await client.ingest(
      { change: { table: "user", op: Operation.CREATE, id: "user:1", record: { name: "Ada" } } },
      { headers: { authorization: `Bearer ${SECRET}`, traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` } },
    );
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans();
    const rpc = spans.find((s) => s.kind === SpanKind.SERVER);
    const circuit = spans.find((s) => s.name === SPAN_CIRCUIT_INGEST);
    expect(rpc?.name).toBe("spooky.ssp.v1.StreamProcessorService/Ingest");
    expect(rpc?.spanContext().traceId).toBe(TRACE_ID);
    expect(rpc?.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(rpc?.attributes["rpc.grpc.status_code"]).toBe(0);
    expect(typeof rpc?.attributes["ssp.request_id"]).toBe("string");
    expect(circuit?.parentSpanContext?.spanId).toBe(rpc?.spanContext().spanId);

    const families = parsePrometheusText(await telemetry.renderMetrics());
    expect(
      valueOf(families, "rpc_server_duration_milliseconds_count", {
        rpc_system: "grpc",
        rpc_service: "spooky.ssp.v1.StreamProcessorService",
        rpc_method: "Ingest",
        rpc_grpc_status_code: "0",
      }),
    ).toBe(1);
  });

  it("counts health probes without tracing them", async () => {
    exporter.reset();
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    await health.check({});
    await telemetry.forceFlush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    const families = parsePrometheusText(await telemetry.renderMetrics());
    expect(
      valueOf(families, "rpc_server_duration_milliseconds_count", {
        rpc_system: "grpc",
        rpc_service: "grpc.health.v1.Health",
        rpc_method: "Check",
        rpc_grpc_status_code: "0",
      }),
    ).toBe(1);
  });
});

import http from "node:http";
import net from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import { Operation, StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { setupTelemetry } from "../../src/telemetry/index.js";
import { otlpFromEnv } from "../../src/telemetry/otlp.js";
import { startFakeSsp } from "./fake-ssp-server.js";
import { parsePrometheusText } from "./prometheus-text.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A "collector" that accepts connections and never answers: the worst case. */
async function blackHole(): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, connections: () => connections };
}

describe("otlpFromEnv", () => {
  it("exports nothing unless an OTLP endpoint is set", () => {
    expect(otlpFromEnv({})).toEqual({});
    expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toEqual({});
  });

  it("exports both signals over http/protobuf by default once the endpoint is set", () => {
    expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" })).toEqual({
      traces: { protocol: "http/protobuf", url: "http://collector:4318/v1/traces" },
      metrics: { protocol: "http/protobuf", url: "http://collector:4318/v1/metrics" },
    });
  });

  it("honours per-signal endpoints, protocols, exporter=none and OTEL_SDK_DISABLED", () => {
    expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" })).toEqual({
      traces: { protocol: "grpc", url: "http://c:4317" },
    });
    expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).metrics).toEqual({
      protocol: "grpc",
      url: "http://c:4317",
    });
    expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" })).toEqual({
      traces: { protocol: "http/protobuf", url: "http://c:4318/v1/traces" },
    });
    expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })).toEqual({});
  });

  it("rejects an unknown protocol by name", () => {
    expect(() => otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_EXPORTER_OTLP_PROTOCOL: "carrier-pigeon" })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL=carrier-pigeon/,
    );
  });
});

/** A collector that records what it is sent (OTLP/HTTP JSON) and answers 200. */
async function recordingCollector(): Promise<{ url: string; received: Map<string, string[]> }> {
  const received = new Map<string, string[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      received.set(path, [...(received.get(path) ?? []), Buffer.concat(chunks).toString("utf8")]);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, received };
}

describe("a collector that answers", () => {
  it("receives SSP's spans and metrics over OTLP, with the service's resource", async () => {
    const collector = await recordingCollector();
    const telemetry = await setupTelemetry({
      serviceVersion: "4.5.6",
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" },
    });
    telemetry.withSpan("snapshot.save", { "ssp.view_id": "v1" }, () => undefined);
    telemetry.metrics.recordStaleIngest();
    await telemetry.forceFlush();
    await telemetry.shutdown();

    const traces = (collector.received.get("/v1/traces") ?? []).join("\n");
    const metrics = (collector.received.get("/v1/metrics") ?? []).join("\n");
    expect(traces).toContain('"name":"snapshot.save"');
    expect(traces).toContain('"service.name"');
    expect(traces).toContain('"stringValue":"ssp"');
    expect(metrics).toContain('"name":"ssp_stale_ingests_total"');
    expect(metrics).toContain('"stringValue":"4.5.6"');
  });
});

describe("a collector that never answers", () => {
  it("fails no RPC, drops spans past the bounded queue (counted), and cannot hold shutdown", async () => {
    const collector = await blackHole();
    const telemetry = await setupTelemetry({
      serviceVersion: "t",
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
        OTEL_BSP_SCHEDULE_DELAY: "10",
        OTEL_BSP_MAX_QUEUE_SIZE: "8",
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "4",
        OTEL_METRIC_EXPORT_INTERVAL: "50",
      },
      shutdownTimeoutMillis: 300,
    });
    expect(telemetry.tracingEnabled).toBe(true);
    const ssp = await startFakeSsp(telemetry, [telemetry.rpcInterceptor()], undefined, 0);
    cleanups.push(() => ssp.close());
    const client = createClient(StreamProcessorService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ssp.port}` }));

    const change = { table: "user", op: Operation.CREATE, id: "user:1" };
    for (let i = 0; i < 100; i++) await client.ingest({ change });

    const families = parsePrometheusText(await telemetry.renderMetrics());
    const dropped = families
      .get("otel_sdk_processor_span_processed_total")
      ?.samples.filter((s) => s.labels.error_type === "queue_full")
      .reduce((sum, s) => sum + s.value, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(collector.connections(), "the exporters did try the collector").toBeGreaterThan(0);

    const started = performance.now();
    await telemetry.shutdown();
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { INGEST_DURATION_BUCKETS_SECONDS, type IngestOp, type Telemetry, setupTelemetry } from "../../src/telemetry/index.js";
import { type Family, parsePrometheusText, valueOf } from "./prometheus-text.js";

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()?.();
});

async function startTelemetry(options: { enableMetrics?: boolean } = {}): Promise<Telemetry> {
  const telemetry = await setupTelemetry({ serviceVersion: "1.2.3", enableTracing: false, env: {}, ...options });
  opened.push(() => telemetry.shutdown());
  return telemetry;
}

/** Serves `telemetry.prometheus` on a free loopback port and fetches /metrics. */
async function scrape(telemetry: Telemetry, method = "GET"): Promise<{ status: number; type: string | null; body: string }> {
  const server = createServer((req, res) => telemetry.prometheus(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  opened.push(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { method });
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

async function scrapeFamilies(telemetry: Telemetry): Promise<Map<string, Family>> {
  const { status, type, body } = await scrape(telemetry);
  expect(status).toBe(200);
  expect(type).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(body);
}

const INGEST = { "rpc.service": "spooky.ssp.v1.StreamProcessorService", "rpc.method": "Ingest" };
const rpcLabels = (method: string, code: string): Record<string, string> => ({
  rpc_system: "grpc",
  rpc_service: "spooky.ssp.v1.StreamProcessorService",
  rpc_method: method,
  rpc_grpc_status_code: code,
});

describe("GET /metrics", () => {
  it("exports every family on a fresh start, at zero", async () => {
    const families = await scrapeFamilies(await startTelemetry());

    const expected: Array<[string, string]> = [
      ["ssp_ingest_total", "counter"],
      ["ssp_ingest_duration_seconds", "histogram"],
      ["ssp_views_active", "gauge"],
      ["ssp_edge_operations_total", "counter"],
      ["ssp_watch_streams_active", "gauge"],
      ["ssp_outbox_pending", "gauge"],
      ["ssp_outbox_set_aside", "gauge"],
      ["ssp_outbox_set_aside_total", "counter"],
      ["ssp_snapshot_duration_seconds", "histogram"],
      ["ssp_stale_ingests_total", "counter"],
      ["ssp_snapshot_failures_total", "counter"],
      ["rpc_server_duration_milliseconds", "histogram"],
    ];
    for (const [name, type] of expected) expect(families.get(name)?.type, name).toBe(type);

    expect(valueOf(families, "ssp_stale_ingests_total")).toBe(0);
    expect(valueOf(families, "ssp_snapshot_failures_total")).toBe(0);
    expect(valueOf(families, "ssp_outbox_set_aside_total")).toBe(0);
    for (const operation of ["create", "update", "delete"]) {
      expect(valueOf(families, "ssp_edge_operations_total", { operation })).toBe(0);
    }
    for (const gauge of ["ssp_views_active", "ssp_watch_streams_active", "ssp_outbox_pending", "ssp_outbox_set_aside"]) {
      expect(valueOf(families, gauge)).toBe(0);
    }
    expect(valueOf(families, "ssp_ingest_duration_seconds_count")).toBe(0);
    expect(valueOf(families, "ssp_snapshot_duration_seconds_count")).toBe(0);
    for (const method of ["Ingest", "IngestBatch", "RegisterView", "WatchDeltas"]) {
      expect(valueOf(families, "rpc_server_duration_milliseconds_count", rpcLabels(method, "0"))).toBe(0);
    }
    // No table is known yet: the family is announced, its series come with declareTable.
    expect(families.get("ssp_ingest_total")?.samples).toEqual([]);
  });

  it("names the service and its version in target_info", async () => {
    const families = await scrapeFamilies(await startTelemetry());
    const target = families.get("target_info")?.samples[0];
    expect(target?.labels).toMatchObject({ service_name: "ssp", service_version: "1.2.3" });
  });

  it("counts known traffic exactly, with histogram buckets where the values fall", async () => {
    const telemetry = await startTelemetry();
    const { metrics } = telemetry;
    metrics.declareTable("thread");
    metrics.recordIngest("user", "create", 0.000004); // ≤ 5 µs
    metrics.recordIngest("user", "create", 0.00003); // ≤ 50 µs
    metrics.recordIngest("user", "create", 0.00003);
    metrics.recordIngest("user", "update", 0.002); // ≤ 2.5 ms
    metrics.recordIngest("user", "delete", 3); // above every bound
    metrics.recordStaleIngest();
    metrics.recordStaleIngest();
    metrics.recordEdgeOperations("create", 5);
    metrics.recordEdgeOperations("delete", 2);
    metrics.recordSnapshot(0.2);
    metrics.recordRpc(INGEST["rpc.service"], INGEST["rpc.method"], 0, 0.3);
    metrics.recordRpc(INGEST["rpc.service"], INGEST["rpc.method"], 0, 7);
    metrics.recordRpc(INGEST["rpc.service"], INGEST["rpc.method"], 3, 0.05);
    let views = 7;
    metrics.observeGauges({ viewsActive: () => views, watchStreamsActive: () => 2 });
    metrics.observeGauges({ outboxPending: () => 11, outboxSetAside: () => 3 });
    metrics.recordEdgeWriteSetAside();

    const families = await scrapeFamilies(telemetry);
    expect(valueOf(families, "ssp_ingest_total", { table: "user", op: "create" })).toBe(3);
    expect(valueOf(families, "ssp_ingest_total", { table: "user", op: "update" })).toBe(1);
    expect(valueOf(families, "ssp_ingest_total", { table: "user", op: "delete" })).toBe(1);
    for (const op of ["create", "update", "delete"]) {
      expect(valueOf(families, "ssp_ingest_total", { table: "thread", op })).toBe(0);
    }
    expect(valueOf(families, "ssp_ingest_duration_seconds_count")).toBe(5);
    expect(valueOf(families, "ssp_ingest_duration_seconds_sum")).toBeCloseTo(3.002064, 9);
    expect(valueOf(families, "ssp_ingest_duration_seconds_bucket", { le: "0.000005" })).toBe(1);
    expect(valueOf(families, "ssp_ingest_duration_seconds_bucket", { le: "0.00005" })).toBe(3);
    expect(valueOf(families, "ssp_ingest_duration_seconds_bucket", { le: "0.0025" })).toBe(4);
    expect(valueOf(families, "ssp_ingest_duration_seconds_bucket", { le: "1" })).toBe(4);
    expect(valueOf(families, "ssp_ingest_duration_seconds_bucket", { le: "+Inf" })).toBe(5);
    expect(valueOf(families, "ssp_stale_ingests_total")).toBe(2);
    expect(valueOf(families, "ssp_edge_operations_total", { operation: "create" })).toBe(5);
    expect(valueOf(families, "ssp_edge_operations_total", { operation: "update" })).toBe(0);
    expect(valueOf(families, "ssp_edge_operations_total", { operation: "delete" })).toBe(2);
    expect(valueOf(families, "ssp_snapshot_duration_seconds_count")).toBe(1);
    expect(valueOf(families, "ssp_snapshot_duration_seconds_bucket", { le: "0.1" })).toBe(0);
    expect(valueOf(families, "ssp_snapshot_duration_seconds_bucket", { le: "0.25" })).toBe(1);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", rpcLabels("Ingest", "0"))).toBe(2);
    expect(valueOf(families, "rpc_server_duration_milliseconds_bucket", { ...rpcLabels("Ingest", "0"), le: "0.5" })).toBe(1);
    expect(valueOf(families, "rpc_server_duration_milliseconds_bucket", { ...rpcLabels("Ingest", "0"), le: "10" })).toBe(2);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", rpcLabels("Ingest", "3"))).toBe(1);
    expect(valueOf(families, "rpc_server_duration_milliseconds_count", rpcLabels("GetView", "0"))).toBe(0);
    expect(valueOf(families, "ssp_views_active")).toBe(7);
    expect(valueOf(families, "ssp_watch_streams_active")).toBe(2);
    expect(valueOf(families, "ssp_outbox_pending")).toBe(11);
    expect(valueOf(families, "ssp_outbox_set_aside")).toBe(3);
    expect(valueOf(families, "ssp_outbox_set_aside_total")).toBe(1);

    views = 8;
    metrics.recordIngest("user", "create", 0.00001);
    const again = await scrapeFamilies(telemetry);
    expect(valueOf(again, "ssp_views_active")).toBe(8);
    expect(valueOf(again, "ssp_ingest_total", { table: "user", op: "create" })).toBe(4);
    expect(valueOf(again, "ssp_ingest_duration_seconds_count")).toBe(6);
  });

  it("keeps instruments of separate setups apart in one process", async () => {
    const first = await startTelemetry();
    const second = await startTelemetry();
    first.metrics.recordStaleIngest();
    expect(valueOf(await scrapeFamilies(first), "ssp_stale_ingests_total")).toBe(1);
    expect(valueOf(await scrapeFamilies(second), "ssp_stale_ingests_total")).toBe(0);
  });

  it("answers 405 to anything but GET and HEAD", async () => {
    const { status } = await scrape(await startTelemetry(), "POST");
    expect(status).toBe(405);
  });

  it("answers 404 when metrics are disabled, and recording is a no-op", async () => {
    const telemetry = await startTelemetry({ enableMetrics: false });
    telemetry.metrics.recordIngest("user", "create", 0.001);
    const { status } = await scrape(telemetry);
    expect(status).toBe(404);
  });
});

describe("/metrics for any traffic", () => {
  it("matches an independent count of every ingest, by table, op and bucket", async () => {
    const ingest = fc.record({
      table: fc.constantFrom("user", "thread", "comment", "weird \"table\"\\n"),
      op: fc.constantFrom<IngestOp>("create", "update", "delete"),
      seconds: fc.double({ min: 0, max: 2, noNaN: true }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(ingest, { maxLength: 60 }), async (ingests) => {
        const telemetry = await setupTelemetry({ serviceVersion: "p", enableTracing: false, env: {} });
        try {
          for (const { table, op, seconds } of ingests) telemetry.metrics.recordIngest(table, op, seconds);
          const families = parsePrometheusText(await telemetry.renderMetrics());
          for (const table of new Set(ingests.map((i) => i.table))) {
            for (const op of ["create", "update", "delete"]) {
              const expected = ingests.filter((i) => i.table === table && i.op === op).length;
              expect(valueOf(families, "ssp_ingest_total", { table, op })).toBe(expected);
            }
          }
          expect(valueOf(families, "ssp_ingest_duration_seconds_count")).toBe(ingests.length);
          for (const le of INGEST_DURATION_BUCKETS_SECONDS) {
            const expected = ingests.filter((i) => i.seconds <= le).length;
            expect(valueOf(families, "ssp_ingest_duration_seconds_bucket", { le: String(le) })).toBe(expected);
          }
        } finally {
          await telemetry.shutdown();
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("the Prometheus text reader used above", () => {
  it("rejects what the format does not allow", () => {
    expect(() => parsePrometheusText("# TYPE a counter\na 1")).toThrow(/newline/);
    expect(() => parsePrometheusText("b 1\n")).toThrow(/without a TYPE/);
    expect(() => parsePrometheusText("# TYPE a counter\na{x=1} 1\n")).toThrow(/bad labels/);
    expect(() => parsePrometheusText("# TYPE a counter\na 1\na 2\n")).toThrow(/duplicate/);
    const histogram = '# TYPE h histogram\nh_count 2\nh_sum 1\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n';
    expect(() => parsePrometheusText(histogram)).toThrow(/count|cumulative/);
  });
});

/**
 * /metrics stays readable under hostile traffic: every family's name says its
 * unit, and the `table` label takes a bounded set of values however many table
 * names clients invent, without losing a count.
 */
import { afterEach, describe, expect, it } from "vitest";
import { setupTelemetry, type Telemetry } from "../../src/telemetry/index.js";
import { MAX_UNDECLARED_TABLE_LABELS, OTHER_TABLE_LABEL } from "../../src/telemetry/metrics.js";
import { prometheusName } from "../../src/telemetry/prometheus.js";
import { parsePrometheusText } from "./prometheus-text.js";

let telemetry: Telemetry | undefined;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = undefined;
});

async function scrape(record: (t: Telemetry) => void) {
  telemetry = await setupTelemetry({ serviceVersion: "t", enableTracing: false, env: {} });
  record(telemetry);
  const text = await telemetry.renderMetrics();
  return { text, families: parsePrometheusText(text) };
}

describe("metric names", () => {
  it("carry their unit: the RPC histogram is milliseconds, SSP's own families keep their DESIGN names", async () => {
    const { text, families } = await scrape((t) => t.metrics.recordRpc("s", "M", 0, 3));
    expect(families.get("rpc_server_duration_milliseconds")?.type).toBe("histogram");
    expect(families.has("rpc_server_duration")).toBe(false);
    expect(families.get("ssp_ingest_duration_seconds")?.type).toBe("histogram");
    expect(families.get("ssp_snapshot_duration_seconds")?.type).toBe("histogram");
    // Every family with a unit ends in it.
    for (const [, name, unit] of text.matchAll(/^# UNIT (\S+) (\S+)$/gm)) {
      expect(name, `${name} (${unit})`).toBe(prometheusName(name!, unit!));
      expect(name).toMatch(/_(seconds|milliseconds)$/);
    }
  });

  it("appends a suffix only where it is missing", () => {
    expect(prometheusName("rpc.server.duration", "ms")).toBe("rpc.server.duration_milliseconds");
    expect(prometheusName("ssp_ingest_duration_seconds", "s")).toBe("ssp_ingest_duration_seconds");
    expect(prometheusName("queue.size", "By")).toBe("queue.size_bytes");
    expect(prometheusName("ssp_views_active", "")).toBe("ssp_views_active");
    expect(prometheusName("spans", "{span}")).toBe("spans");
  });
});

describe("the table label", () => {
  it("takes at most a fixed number of values, the rest counted under (other), none lost", async () => {
    const invented = Array.from({ length: 3 * MAX_UNDECLARED_TABLE_LABELS }, (_, i) => `junk_${i}`);
    const { families } = await scrape((t) => {
      for (const table of invented) t.metrics.recordIngest(table, "create", 0.00001);
      // Declared after the flood: a table a view reads still gets its own series.
      t.metrics.declareTable("orders");
      t.metrics.recordIngest("orders", "update", 0.00001);
      t.metrics.recordIngest("junk_0", "create", 0.00001);
    });
    const samples = families.get("ssp_ingest_total")?.samples ?? [];
    const tables = new Set(samples.map((s) => s.labels.table));
    expect(tables.size).toBe(MAX_UNDECLARED_TABLE_LABELS + 2);
    expect(tables.has("orders")).toBe(true);
    expect(tables.has(OTHER_TABLE_LABEL)).toBe(true);
    const count = (table: string, op: string) => samples.find((s) => s.labels.table === table && s.labels.op === op)?.value;
    expect(count("junk_0", "create")).toBe(2);
    expect(count("orders", "update")).toBe(1);
    expect(count(OTHER_TABLE_LABEL, "create")).toBe(invented.length - MAX_UNDECLARED_TABLE_LABELS);
    const total = samples.reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(invented.length + 2);
  });
});

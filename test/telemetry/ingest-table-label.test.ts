/**
 * The `table` label of `ssp_ingest_total` is the record's table as SurrealDB
 * names it, also for escaped ids: `⟨a:b⟩:1` is table `a:b`, not the id's text
 * up to its first colon.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { parsePrometheusText, valueOf } from "./prometheus-text.js";

let real: RealCore;
beforeAll(async () => {
  real = await startRealCore({ SURREALDB_URL: "mem://" });
});
afterAll(() => real.dispose());

it("labels an ingest with the parsed table", async () => {
  await real.core.ingest([
    { op: "CREATE", id: "⟨a:b⟩:1", body: {} },
    { op: "CREATE", id: "`user events`:⟨x y⟩", body: {} },
    { op: "CREATE", id: "plain:1", body: {} },
  ]);
  const families = parsePrometheusText(await real.telemetry.renderMetrics());
  expect(valueOf(families, "ssp_ingest_total", { table: "a:b", op: "create" })).toBe(1);
  expect(valueOf(families, "ssp_ingest_total", { table: "user events", op: "create" })).toBe(1);
  expect(valueOf(families, "ssp_ingest_total", { table: "plain", op: "create" })).toBe(1);
  const tables = families.get("ssp_ingest_total")?.samples.map((s) => s.labels.table);
  expect(tables).not.toContain("⟨a");
});

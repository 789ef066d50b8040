/**
 * Every metric family is exported from startup at zero (DESIGN.md): the tables a
 * view reads get their `ssp_ingest_total{table,op}` series when the view is
 * registered, and again when it is restored after a restart, before any ingest.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { parsePrometheusText, valueOf } from "./prometheus-text.js";

let real: RealCore;
beforeAll(async () => {
  real = await startRealCore({ SURREALDB_URL: "mem://" });
});
afterAll(() => real.dispose());

/** The table's `ssp_ingest_total` series by op, "none" where it is not exported. */
async function ingestSeries(core: RealCore, table: string): Promise<(number | "none")[]> {
  const families = parsePrometheusText(await core.telemetry.renderMetrics());
  return ["create", "update", "delete"].map((op) => {
    try {
      return valueOf(families, "ssp_ingest_total", { table, op });
    } catch {
      return "none";
    }
  });
}

it("exports the tables a view reads at zero from its registration, and again after a restart", async () => {
  expect(await ingestSeries(real, "thread")).toEqual(["none", "none", "none"]);
  await real.core.registerView({
    id: "v",
    surql: "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id) AS comments FROM thread",
    params: {},
    clientId: "c",
    ttlMs: 0,
    lastActiveAt: 0,
  });
  expect(await ingestSeries(real, "thread")).toEqual([0, 0, 0]);
  expect(await ingestSeries(real, "comment")).toEqual([0, 0, 0]);

  real = await real.restart();
  expect(await ingestSeries(real, "thread")).toEqual([0, 0, 0]);
  expect(await ingestSeries(real, "comment")).toEqual([0, 0, 0]);
});

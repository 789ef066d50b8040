/**
 * `ssp_edge_operations_total{operation}` counts membership changes written to
 * SurrealDB (or queued in the outbox), by kind, for every kind of mutation.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { parsePrometheusText, valueOf } from "./prometheus-text.js";

let real: RealCore;
beforeAll(async () => {
  real = await startRealCore({ SURREALDB_URL: "mem://" });
});
afterAll(() => real.dispose());

async function edgeOperations(): Promise<Record<string, number>> {
  const families = parsePrometheusText(await real.telemetry.renderMetrics());
  const count = (operation: string) => valueOf(families, "ssp_edge_operations_total", { operation });
  return { create: count("create"), update: count("update"), delete: count("delete") };
}

const spec = (id: string, surql: string) => ({ id, surql, params: {}, clientId: "c", ttlMs: 0, lastActiveAt: 0 });

it("counts each membership change once, by kind, for ingests, registrations, unregistrations and resets", async () => {
  await real.core.ingest([{ op: "CREATE", id: "user:0", body: { age: 30 } }]);
  await real.core.registerView(spec("adults", "SELECT * FROM user WHERE age > 10"));
  expect(await edgeOperations()).toEqual({ create: 1, update: 0, delete: 0 });

  await real.core.ingest([
    { op: "CREATE", id: "user:1", body: { age: 20 } },
    { op: "CREATE", id: "user:2", body: { age: 5 } },
    { op: "UPDATE", id: "user:0", body: { age: 31 } },
  ]);
  expect(await edgeOperations()).toEqual({ create: 2, update: 1, delete: 0 });

  await real.core.ingest([{ op: "DELETE", id: "user:0" }]);
  expect(await edgeOperations()).toEqual({ create: 2, update: 1, delete: 1 });

  // Replacing the view writes only the difference: user:2 joins, nobody leaves.
  await real.core.registerView(spec("adults", "SELECT * FROM user WHERE age > 1"));
  expect(await edgeOperations()).toEqual({ create: 3, update: 1, delete: 1 });

  await real.core.unregisterView("adults");
  expect(await edgeOperations()).toEqual({ create: 3, update: 1, delete: 3 });

  await real.core.registerView(spec("all", "SELECT * FROM user"));
  await real.core.registerView(spec("kids", "SELECT * FROM user WHERE age < 10"));
  expect(await edgeOperations()).toEqual({ create: 6, update: 1, delete: 3 });
  await real.core.reset();
  expect(await edgeOperations()).toEqual({ create: 6, update: 1, delete: 6 });
});

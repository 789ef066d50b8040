/**
 * Measures edge transactions/s on the embedded surrealkv engine, for ingests of 1,
 * 10 and 100 deltas, awaited one by one and fired 64 at a time (group commit).
 * Prints numbers; asserts only that the writes landed. Off unless
 * SSP_EDGES_BENCH=1 (seconds of wall time, noisy on a shared machine).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openTestStore, prepareSurrealKv, removeDir, rid, tempDir, viewDelta } from "./fixtures.js";

const SECONDS = Number(process.env.SSP_EDGES_BENCH_SECONDS ?? 3);

describe.runIf(process.env.SSP_EDGES_BENCH === "1")("edge throughput (surrealkv)", () => {
  it("prints transactions/s for batches of 1, 10 and 100 deltas", async () => {
    const dir = await tempDir();
    const url = `surrealkv://${join(dir, "db")}`;
    await prepareSurrealKv(url);
    const t = await openTestStore({ url, dataDir: join(dir, "data") });
    let next = 0;
    const ingest = (size: number) => {
      const deltas = Array.from({ length: size }, () => ["CREATED", rid("msg", next++), 1] as const);
      return t.store.applyIngest([viewDelta("bench", "c", deltas.map(([e, id, v]) => [e, id, v]))]);
    };
    const lines: string[] = [];
    try {
      for (const size of [1, 10, 100]) {
        for (const concurrency of [1, 64]) {
          const trips = t.db.roundTrips;
          let ops = 0;
          const start = performance.now();
          while (performance.now() - start < SECONDS * 1000) {
            await Promise.all(Array.from({ length: concurrency }, () => ingest(size)));
            ops += concurrency;
          }
          const seconds = (performance.now() - start) / 1000;
          const transactions = t.db.roundTrips - trips;
          lines.push(
            `batch ${String(size).padStart(3)} × ${String(concurrency).padStart(2)} concurrent: ` +
              `${(transactions / seconds).toFixed(0).padStart(6)} transactions/s, ${(ops / seconds).toFixed(0).padStart(6)} ingests/s, ` +
              `${((ops * size) / seconds).toFixed(0).padStart(7)} edges/s`,
          );
        }
      }
      console.log(`edge throughput, surrealkv, ${SECONDS}s per row:\n${lines.join("\n")}`);
      expect(t.store.pending()).toBe(0);
    } finally {
      await t.cleanup();
      await removeDir(dir);
    }
  }, 120_000);
});

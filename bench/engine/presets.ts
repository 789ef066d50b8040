/**
 * Benchmark sizes. `full` is `make bench` (the sizes the targets are stated
 * for), `quick` is `make bench-quick` (same code paths, smaller, no
 * thresholds), `toy` is the smoke test's.
 */
import type { RunSettings } from "./run-workload.js";
import type { FilterSizes } from "./workloads/w1-filters.js";
import type { SubquerySizes } from "./workloads/w3-subqueries.js";
import type { TopKSizes } from "./workloads/w4-top-k.js";

export type PresetName = "full" | "quick" | "toy";

export interface Preset {
  readonly name: PresetName;
  readonly filters: FilterSizes;
  readonly fanOut: { readonly messages: number; readonly rooms: number; readonly views: readonly number[] };
  readonly subqueries: SubquerySizes;
  readonly topK: TopKSizes;
  /** The original engine's published workload: 50 views over ~5,000 records, creates in batches of 10. */
  readonly original: FilterSizes;
  readonly originalSettings: RunSettings;
  readonly settings: RunSettings;
  /** Workloads (by name prefix) that also run the SurrealDB baseline. */
  readonly surrealFor: readonly string[];
  /** Whether charts go to docs/ (only the full run's figures are published). */
  readonly publishCharts: boolean;
}

const full: Preset = {
  name: "full",
  filters: { records: 100_000, views: 1_000, createShare: 0.25 },
  fanOut: { messages: 100_000, rooms: 10_000, views: [10, 1_000, 10_000] },
  subqueries: { users: 2_000, forums: 500, threads: 5_000, comments: 93_000, views: 1_000 },
  topK: { players: 100_000, views: 1_000 },
  original: { records: 4_000, views: 50, createShare: 1 },
  // Few enough creates that the table stays near 5,000 records (4,700 → 6,700 while batches run).
  originalSettings: {
    warmup: 200,
    samples: 500,
    batchSizes: [10],
    batchRecords: 2_000,
    probeRegistrations: 3,
    naive: { maxIngests: 100, budgetMs: 2_000, sampleViews: 10 },
    surreal: { maxIngests: 30, budgetMs: 5_000 },
    check: { views: Infinity, budgetMs: 5_000 },
  },
  settings: {
    warmup: 2_000,
    samples: 20_000,
    batchSizes: [10, 100],
    batchRecords: 20_000,
    probeRegistrations: 5,
    naive: { maxIngests: 300, budgetMs: 8_000, sampleViews: 10 },
    surreal: { maxIngests: 50, budgetMs: 15_000 },
    check: { views: 100, budgetMs: 10_000 },
  },
  // Loading 100,000 records into embedded SurrealDB takes minutes on a busy 2-core machine: only W1 (the
  // headline workload) and the original engine's small workload run the re-query baseline.
  surrealFor: ["W1", "original"],
  publishCharts: true,
};

const quick: Preset = {
  name: "quick",
  filters: { records: 10_000, views: 100, createShare: 0.25 },
  fanOut: { messages: 10_000, rooms: 1_000, views: [10, 100, 1_000] },
  subqueries: { users: 200, forums: 50, threads: 500, comments: 9_300, views: 100 },
  topK: { players: 10_000, views: 100 },
  original: { records: 4_000, views: 50, createShare: 1 },
  originalSettings: {
    warmup: 200,
    samples: 500,
    batchSizes: [10],
    batchRecords: 2_000,
    probeRegistrations: 2,
    naive: { maxIngests: 30, budgetMs: 500, sampleViews: 3 },
    surreal: { maxIngests: 5, budgetMs: 500 },
    check: { views: Infinity, budgetMs: 1_000 },
  },
  settings: {
    warmup: 300,
    samples: 2_000,
    batchSizes: [10, 100],
    batchRecords: 2_000,
    probeRegistrations: 3,
    naive: { maxIngests: 50, budgetMs: 500, sampleViews: 3 },
    surreal: { maxIngests: 5, budgetMs: 500 },
    check: { views: 100, budgetMs: 1_000 },
  },
  surrealFor: ["original"],
  publishCharts: false,
};

const toy: Preset = {
  name: "toy",
  filters: { records: 500, views: 40, createShare: 0.25 },
  fanOut: { messages: 500, rooms: 50, views: [5, 50] },
  subqueries: { users: 20, forums: 5, threads: 40, comments: 400, views: 10 },
  topK: { players: 500, views: 10 },
  original: { records: 500, views: 10, createShare: 1 },
  originalSettings: {
    warmup: 20,
    samples: 100,
    batchSizes: [10],
    batchRecords: 200,
    probeRegistrations: 1,
    naive: { maxIngests: 10, budgetMs: 200, sampleViews: 3 },
    surreal: { maxIngests: 3, budgetMs: 200 },
    check: { views: Infinity, budgetMs: Infinity },
  },
  settings: {
    warmup: 20,
    samples: 200,
    batchSizes: [10, 100],
    batchRecords: 200,
    probeRegistrations: 2,
    naive: { maxIngests: 10, budgetMs: 200, sampleViews: 3 },
    surreal: { maxIngests: 3, budgetMs: 200 },
    check: { views: Infinity, budgetMs: Infinity },
  },
  surrealFor: [],
  publishCharts: false,
};

export const PRESETS: Readonly<Record<PresetName, Preset>> = { full, quick, toy };

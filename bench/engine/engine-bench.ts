/**
 * The engine benchmark: builds every workload from one seed, runs each, and
 * checks the results against the targets of DESIGN.md. Pure measurement: the
 * CLI (bench/engine.ts) prints, writes JSON and draws charts.
 */
import { PRESETS, type Preset, type PresetName } from "./presets.js";
import { runWorkload, type WorkloadResult } from "./run-workload.js";
import { machineInfo, type MachineInfo } from "./machine.js";
import { round } from "./stats.js";
import { filterWorkload } from "./workloads/w1-filters.js";
import { fanOutWorkload } from "./workloads/w2-fan-out.js";
import { subqueryWorkload } from "./workloads/w3-subqueries.js";
import { topKWorkload } from "./workloads/w4-top-k.js";
import type { Workload } from "./workloads/workload.js";

/** The original engine's published figure: p50 per batch of 10 creates, 50 views over ~5,000 records. */
export const ORIGINAL_P50_BATCH_US = 1_900;
export const ORIGINAL_RECORDS_PER_S = 4_700;

import type { TargetCheck } from "../lib/results.js";

export type { TargetCheck };

export interface EngineBenchResult {
  readonly name: "engine";
  readonly preset: PresetName;
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: MachineInfo;
  readonly seed: number;
  readonly parameters: Omit<Preset, "name">;
  readonly workloads: readonly WorkloadResult[];
  readonly targets: readonly TargetCheck[];
}

export interface EngineBenchOptions {
  readonly preset: PresetName;
  readonly seed: number;
  /** Only workloads whose name starts with one of these. */
  readonly only?: readonly string[] | undefined;
  readonly log?: (line: string) => void;
}

/** Workload builders in run order; each gets its own seed derived from the run's. */
function workloads(p: Preset, seed: number): { name: string; build: () => Workload; settings: Preset["settings"] }[] {
  return [
    { name: "W1-filters", build: () => filterWorkload("W1-filters", "W1 filters: mixed filter views over five tables", p.filters, seed + 1), settings: p.settings },
    ...p.fanOut.views.map((views) => ({
      name: `W2-fan-out-${views}`,
      // Same seed for every view count: the same messages, only the number of views differs.
      build: () => fanOutWorkload({ messages: p.fanOut.messages, rooms: p.fanOut.rooms, views }, seed + 2),
      settings: p.settings,
    })),
    { name: "W3-subqueries", build: () => subqueryWorkload(p.subqueries, seed + 3), settings: p.settings },
    { name: "W4-top-k", build: () => topKWorkload(p.topK, seed + 4), settings: p.settings },
    {
      name: "original",
      build: () => filterWorkload("original", "The original engine's workload: 50 views, creates in batches of 10", p.original, seed + 5),
      settings: p.originalSettings,
    },
  ];
}

export async function runEngineBench(o: EngineBenchOptions): Promise<EngineBenchResult> {
  const preset = PRESETS[o.preset];
  const log = o.log ?? (() => {});
  const startedAt = new Date();
  // Taken first: the commit and work-tree state of the code that runs, not of what changed meanwhile.
  const machine = machineInfo();
  const results: WorkloadResult[] = [];
  for (const entry of workloads(preset, o.seed)) {
    if (o.only && !o.only.some((prefix) => entry.name.startsWith(prefix))) continue;
    const t = performance.now();
    const w = entry.build();
    const withSurreal = preset.surrealFor.some((prefix) => entry.name.startsWith(prefix));
    const result = await runWorkload(w, { ...entry.settings, surreal: withSurreal ? entry.settings.surreal : undefined });
    results.push(result);
    log(`${entry.name}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const { name: _name, ...parameters } = preset;
  return {
    name: "engine",
    preset: o.preset,
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000),
    machine,
    seed: o.seed,
    parameters,
    workloads: results,
    targets: checkTargets(results),
  };
}

function find(results: readonly WorkloadResult[], prefix: string): WorkloadResult | undefined {
  return results.find((r) => r.name.startsWith(prefix));
}

/** The DESIGN.md targets the engine benchmark can judge, from whatever workloads ran. */
export function checkTargets(results: readonly WorkloadResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const add = (target: string, goal: string, value: number, unit: string, met: boolean) => out.push({ target, goal, value: round(value), unit, met });
  const w1 = find(results, "W1");
  if (w1) {
    add("W1 one-record ingest p50", "≤ 20 µs", w1.latency.p50Us, "µs", w1.latency.p50Us <= 20);
    add("W1 one-record ingest p99", "≤ 200 µs", w1.latency.p99Us, "µs", w1.latency.p99Us <= 200);
    add("W1 vs naive re-evaluation (views reading the table)", "≥ 1,000×", w1.naive.readingRatio, "×", w1.naive.readingRatio >= 1_000);
    add("W1 vs naive re-evaluation (changed views only)", "≥ 1,000×", w1.naive.changedOnlyRatio, "×", w1.naive.changedOnlyRatio >= 1_000);
    if (w1.memory.measured) {
      add("W1 memory / records' JSON", "≤ 2.5×", w1.memory.ratioToJson, "×", w1.memory.ratioToJson <= 2.5);
      add("W1 bytes per membership entry", "≤ 200 B", w1.memory.bytesPerMembershipEntry, "B", w1.memory.bytesPerMembershipEntry <= 200);
    }
  }
  const fan = results.filter((r) => r.name.startsWith("W2-fan-out-"));
  if (fan.length >= 2) {
    const byViews = [...fan].sort((a, b) => Number(a.parameters.views) - Number(b.parameters.views));
    const small = byViews[0]!;
    const large = byViews[byViews.length - 1]!;
    const ratio = large.latency.p50Us / small.latency.p50Us;
    add(`W2 p50 cost, ${large.parameters.views} vs ${small.parameters.views} views`, "≤ 2×", ratio, "×", ratio <= 2);
    const probe = large.registration.probe;
    add(`registration, filter view over ${probe.tableRecords.toLocaleString("en")} records (p50)`, "≤ 50 ms", probe.p50Ms, "ms", probe.p50Ms <= 50);
  }
  const original = find(results, "original");
  const b10 = original?.throughput.find((t) => t.batchSize === 10);
  if (b10) {
    const ratio = ORIGINAL_P50_BATCH_US / b10.perBatchP50Us;
    add("original workload, p50 per batch of 10 vs 1.9 ms", "≥ 10×", ratio, "×", ratio >= 10);
  }
  return out;
}

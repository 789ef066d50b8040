/**
 * Runs one workload against a fresh Circuit and measures, in this order (each
 * step continues the same seeded stream): loading and memory, registration,
 * single-record ingest latency, batch throughput, the naive re-evaluation
 * baseline, a membership self-check, and the SurrealDB re-query baseline.
 */
import { Circuit, type IngestResult, type RecordChange, type ViewSpec } from "../../src/circuit/index.js";
import { createRng } from "./prng.js";
import { collectGarbage, elapsedNs, now, round, summarize, type LatencySummary } from "./stats.js";
import { openSurreal } from "./surreal-baseline.js";
import type { Workload } from "./workloads/workload.js";

export interface RunSettings {
  readonly warmup: number;
  readonly samples: number;
  readonly batchSizes: readonly number[];
  /** Records ingested per batch size. */
  readonly batchRecords: number;
  readonly probeRegistrations: number;
  /** sampleViews: views recomputed per ingest to estimate the cost of every view reading the table. */
  readonly naive: { readonly maxIngests: number; readonly budgetMs: number; readonly sampleViews: number };
  /** Undefined: no SurrealDB baseline for this workload. */
  readonly surreal: { readonly maxIngests: number; readonly budgetMs: number } | undefined;
  /** The first `views` views' memberships are compared with a from-scratch evaluation at the end, while the budget lasts. */
  readonly check: { readonly views: number; readonly budgetMs: number };
}

export interface MemoryPoint {
  readonly records: number;
  readonly heapBytes: number;
  readonly jsonBytes: number;
}

export interface WorkloadResult {
  readonly name: string;
  readonly title: string;
  readonly parameters: Workload["parameters"];
  readonly load: { readonly records: number; readonly ms: number; readonly recordsPerS: number };
  readonly memory: {
    readonly measured: boolean;
    readonly points: readonly MemoryPoint[];
    readonly bytesPerRecord: number;
    readonly jsonBytesPerRecord: number;
    readonly ratioToJson: number;
    readonly viewsHeapBytes: number;
    readonly membershipEntries: number;
    readonly bytesPerMembershipEntry: number;
    readonly rssBytes: number;
  };
  readonly registration: {
    readonly views: number;
    readonly totalMs: number;
    readonly meanMsPerView: number;
    readonly probe: { readonly table: string; readonly tableRecords: number; readonly samples: number; readonly p50Ms: number; readonly maxMs: number };
  };
  readonly latency: LatencySummary & { readonly viewDeltasPerIngest: number };
  readonly throughput: readonly { readonly batchSize: number; readonly records: number; readonly recordsPerS: number; readonly perBatchP50Us: number }[];
  /** Means per ingest over the same ingests; ratios are naive time / SSP time. */
  readonly naive: {
    readonly ingests: number;
    readonly sspMeanUs: number;
    readonly changedViewsPerIngest: number;
    readonly changedOnlyMeanUs: number;
    readonly changedOnlyRatio: number;
    readonly readingViewsPerIngest: number;
    readonly sampledViewsPerIngest: number;
    /** Estimated: sampled recompute time scaled to every view reading the table. */
    readonly readingMeanUs: number;
    readonly readingRatio: number;
  };
  readonly surreal?: {
    readonly ingests: number;
    readonly loadMs: number;
    readonly affectedViewsPerIngest: number;
    readonly sspMeanUs: number;
    readonly surrealMeanUs: number;
    readonly ratio: number;
  };
  readonly check: { readonly viewsChecked: number; readonly mismatches: readonly string[] };
}

function jsonBytes(c: RecordChange): number {
  return Buffer.byteLength(JSON.stringify({ id: c.id, ...(c.body as object) }));
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

/** Tables a view's query reads, at any level (the workloads' queries are plain `FROM table`). */
function tablesRead(surql: string): Set<string> {
  return new Set([...surql.matchAll(/\bFROM\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!));
}

function countViewDeltas(r: IngestResult): number {
  return r.views.length;
}

export async function runWorkload(w: Workload, s: RunSettings): Promise<WorkloadResult> {
  const measured = collectGarbage();
  const heap0 = heapUsed();
  const circuit = new Circuit();

  // ---- load, with memory checkpoints ----
  const checkpoints = new Set([0.25, 0.5, 0.75, 1].map((f) => Math.max(1, Math.round(w.records.length * f))));
  const points: MemoryPoint[] = [];
  let json = 0;
  let loadNs = 0;
  const CHUNK = 1_000;
  for (let i = 0; i < w.records.length; ) {
    let end = Math.min(w.records.length, i + CHUNK);
    for (const c of checkpoints) if (c > i && c < end) end = c;
    // A fresh copy, as if decoded from the wire: the circuit must not share strings with the generator's bodies.
    const chunk = JSON.parse(JSON.stringify(w.records.slice(i, end))) as RecordChange[];
    const t = now();
    circuit.ingest(chunk);
    loadNs += elapsedNs(t);
    for (const c of chunk) json += jsonBytes(c);
    i = end;
    if (checkpoints.has(i) && measured) {
      collectGarbage();
      points.push({ records: i, heapBytes: heapUsed() - heap0, jsonBytes: json });
    }
  }
  const recordsHeap = points.at(-1)?.heapBytes ?? Number.NaN;
  // Per record: the slope between the first and last checkpoints, so garbage left in the baseline
  // heap by whatever ran before cannot skew it (the absolute points are kept for the chart).
  const first = points[0];
  const last = points.at(-1);
  const slope = first && last && last.records > first.records ? (last.heapBytes - first.heapBytes) / (last.records - first.records) : Number.NaN;
  const jsonSlope = first && last && last.records > first.records ? (last.jsonBytes - first.jsonBytes) / (last.records - first.records) : Number.NaN;

  // ---- registration ----
  const t0 = now();
  for (const v of w.views) circuit.registerView(v);
  const registerNs = elapsedNs(t0);
  collectGarbage();
  const viewsHeap = heapUsed() - heap0 - recordsHeap;
  const membershipEntries = circuit.listViews().reduce((n, v) => n + v.memberCount, 0);
  const rssBytes = process.memoryUsage().rss;

  const probeNs: number[] = [];
  for (let i = 0; i < s.probeRegistrations; i++) {
    const spec = w.probeView(i);
    const t = now();
    circuit.registerView(spec);
    probeNs.push(elapsedNs(t));
    circuit.unregisterView(spec.id);
  }
  const tableRecords = w.records.filter((r) => r.id.startsWith(`${w.probeTable}:`)).length;

  // ---- single-record ingest latency ----
  for (let i = 0; i < s.warmup; i++) circuit.ingest([w.next()]);
  const latencyNs: number[] = new Array(s.samples);
  let deltas = 0;
  for (let i = 0; i < s.samples; i++) {
    const change = [w.next()];
    const t = now();
    const r = circuit.ingest(change);
    latencyNs[i] = elapsedNs(t);
    deltas += countViewDeltas(r);
  }
  const latency = summarize(latencyNs);

  // ---- batch throughput (batch size 1 comes from the latency run) ----
  const throughput: WorkloadResult["throughput"][number][] = [
    { batchSize: 1, records: s.samples, recordsPerS: round(s.samples / (latencyNs.reduce((a, b) => a + b, 0) / 1e9)), perBatchP50Us: latency.p50Us },
  ];
  for (const size of s.batchSizes) {
    const batches = Math.max(1, Math.floor(s.batchRecords / size));
    const perBatch: number[] = [];
    for (let b = 0; b < batches; b++) {
      const batch = Array.from({ length: size }, () => w.next());
      const t = now();
      circuit.ingest(batch);
      perBatch.push(elapsedNs(t));
    }
    const totalS = perBatch.reduce((a, b) => a + b, 0) / 1e9;
    throughput.push({ batchSize: size, records: batches * size, recordsPerS: round((batches * size) / totalS), perBatchP50Us: summarize(perBatch).p50Us });
  }

  // ---- baseline (a): recompute views from scratch with the same evaluator ----
  // Two readings: only the views whose membership changed (a lower bound: a naive system cannot
  // know which those are without recomputing), and every view reading the changed table (what a
  // naive system must recompute). The second is estimated from a seeded sample of those views.
  const readers = new Map<string, string[]>();
  for (const v of w.views) {
    for (const table of tablesRead(v.surql)) {
      let ids = readers.get(table);
      if (!ids) readers.set(table, (ids = []));
      ids.push(v.id);
    }
  }
  const sampler = createRng(0x5eed);
  let naiveSsp = 0;
  let changedNs = 0;
  let changedViews = 0;
  let readingNs = 0;
  let readingViews = 0;
  let sampled = 0;
  let naiveIngests = 0;
  const naiveStart = performance.now();
  while (naiveIngests < s.naive.maxIngests && (naiveIngests === 0 || performance.now() - naiveStart < s.naive.budgetMs)) {
    const change = w.next();
    let t = now();
    const r = circuit.ingest([change]);
    naiveSsp += elapsedNs(t);
    t = now();
    for (const v of r.views) circuit.recomputeView(v.viewId);
    changedNs += elapsedNs(t);
    changedViews += r.views.length;
    const candidates = readers.get(change.id.slice(0, change.id.indexOf(":"))) ?? [];
    // At least one view per ingest; more while the budget lasts (a view over 100,000 records can take seconds).
    let picks = 0;
    t = now();
    while (picks < Math.min(candidates.length, s.naive.sampleViews) && (picks === 0 || performance.now() - naiveStart < s.naive.budgetMs)) {
      circuit.recomputeView(sampler.pick(candidates));
      picks++;
    }
    if (picks > 0) readingNs += (elapsedNs(t) * candidates.length) / picks;
    readingViews += candidates.length;
    sampled += picks;
    naiveIngests++;
  }

  // ---- self-check: memberships equal a from-scratch evaluation ----
  const mismatches: string[] = [];
  const toCheck = w.views.slice(0, Math.min(w.views.length, s.check.views));
  const checkStart = performance.now();
  let checked = 0;
  for (const v of toCheck) {
    if (checked > 0 && performance.now() - checkStart > s.check.budgetMs) break;
    checked++;
    const held = circuit.getView(v.id)!.members.map((m) => m.id.text).join(",");
    const full = circuit.recomputeView(v.id).map((id) => id.text).join(",");
    if (held !== full) mismatches.push(v.id);
  }

  // ---- baseline (b): SurrealDB re-running the affected views' queries ----
  let surreal: WorkloadResult["surreal"];
  if (s.surreal) {
    const specs = new Map<string, ViewSpec>(w.views.map((v) => [v.id, v]));
    const snapshot = circuit.exportState();
    const tLoad = performance.now();
    const db = await openSurreal(w.tables, w.surrealIndexes, snapshot.records);
    const loadMs = performance.now() - tLoad;
    let ssp = 0;
    let sdb = 0;
    let affected = 0;
    let ingests = 0;
    const start = performance.now();
    try {
      while (ingests < s.surreal.maxIngests && (ingests < 3 || performance.now() - start < s.surreal.budgetMs)) {
        const change = w.next();
        let t = now();
        const r = circuit.ingest([change]);
        ssp += elapsedNs(t);
        await db.apply(change);
        t = now();
        for (const v of r.views) await db.query(specs.get(v.viewId)!);
        sdb += elapsedNs(t);
        affected += r.views.length;
        ingests++;
      }
    } finally {
      await db.close();
    }
    surreal = {
      ingests,
      loadMs: round(loadMs),
      affectedViewsPerIngest: round(affected / ingests),
      sspMeanUs: round(ssp / ingests / 1000),
      surrealMeanUs: round(sdb / ingests / 1000),
      ratio: round(sdb / ssp),
    };
  }

  const records = w.records.length;
  return {
    name: w.name,
    title: w.title,
    parameters: w.parameters,
    load: { records, ms: round(loadNs / 1e6), recordsPerS: round(records / (loadNs / 1e9)) },
    memory: {
      measured,
      points,
      bytesPerRecord: round(slope),
      jsonBytesPerRecord: round(json / records),
      ratioToJson: round(slope / jsonSlope),
      viewsHeapBytes: viewsHeap,
      membershipEntries,
      bytesPerMembershipEntry: round(viewsHeap / Math.max(1, membershipEntries)),
      rssBytes,
    },
    registration: {
      views: w.views.length,
      totalMs: round(registerNs / 1e6),
      meanMsPerView: round(registerNs / 1e6 / Math.max(1, w.views.length)),
      probe: {
        table: w.probeTable,
        tableRecords,
        samples: probeNs.length,
        p50Ms: round(summarize(probeNs).p50Us / 1000),
        maxMs: round(summarize(probeNs).maxUs / 1000),
      },
    },
    latency: { ...latency, viewDeltasPerIngest: round(deltas / s.samples) },
    throughput,
    naive: {
      ingests: naiveIngests,
      sspMeanUs: round(naiveSsp / naiveIngests / 1000),
      changedViewsPerIngest: round(changedViews / naiveIngests),
      changedOnlyMeanUs: round(changedNs / naiveIngests / 1000),
      changedOnlyRatio: round(changedNs / naiveSsp),
      readingViewsPerIngest: round(readingViews / naiveIngests),
      sampledViewsPerIngest: round(sampled / naiveIngests),
      readingMeanUs: round(readingNs / naiveIngests / 1000),
      readingRatio: round(readingNs / naiveSsp),
    },
    surreal,
    check: { viewsChecked: checked, mismatches },
  };
}

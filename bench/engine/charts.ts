/**
 * SVG charts from the engine benchmark's JSON, drawn headless with Vega-Lite:
 * latency versus number of views (W2), throughput versus batch size, and
 * memory versus records held (W1).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";
import type { EngineBenchResult } from "./engine-bench.js";

type Spec = vl.TopLevelSpec;

const WIDTH = 480;
const HEIGHT = 280;

async function renderSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function caption(r: EngineBenchResult): string {
  return `${r.machine.cpus}× ${r.machine.cpuModel}, Node ${r.machine.node}, commit ${r.machine.commit.slice(0, 7)}, seed ${r.seed}`;
}

export function latencyVersusViews(r: EngineBenchResult): Spec {
  const values = r.workloads
    .filter((w) => w.name.startsWith("W2-fan-out-"))
    .flatMap((w) => [
      { views: Number(w.parameters.views), percentile: "p50", us: w.latency.p50Us },
      { views: Number(w.parameters.views), percentile: "p99", us: w.latency.p99Us },
      { views: Number(w.parameters.views), percentile: "p999", us: w.latency.p999Us },
    ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "One-record ingest latency vs number of views (W2 fan-out)", subtitle: caption(r) },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "views", type: "quantitative", scale: { type: "log" }, title: "views (WHERE room = $room ORDER BY … LIMIT 50)" },
      y: { field: "us", type: "quantitative", scale: { type: "log" }, title: "latency per ingest (µs)" },
      color: { field: "percentile", type: "nominal", sort: ["p50", "p99", "p999"] },
    },
  };
}

export function throughputVersusBatch(r: EngineBenchResult): Spec {
  const values = r.workloads.flatMap((w) => w.throughput.map((t) => ({ workload: w.name, batch: t.batchSize, rps: t.recordsPerS })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Ingest throughput vs batch size", subtitle: caption(r) },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "batch", type: "quantitative", scale: { type: "log" }, title: "records per ingest call" },
      y: { field: "rps", type: "quantitative", scale: { type: "log" }, title: "records/s" },
      color: { field: "workload", type: "nominal" },
    },
  };
}

export function memoryVersusRecords(r: EngineBenchResult): Spec {
  const w = r.workloads.find((x) => x.name.startsWith("W1")) ?? r.workloads[0];
  const mb = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
  const values = (w?.memory.points ?? []).flatMap((p) => [
    { records: p.records, series: "SSP heap", mb: mb(p.heapBytes) },
    { records: p.records, series: "records' JSON", mb: mb(p.jsonBytes) },
    { records: p.records, series: "2.5× JSON (target)", mb: mb(p.jsonBytes * 2.5) },
  ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `Memory vs records held (${w?.name ?? "none"})`, subtitle: caption(r) },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "records", type: "quantitative", title: "records held" },
      y: { field: "mb", type: "quantitative", title: "MiB" },
      color: { field: "series", type: "nominal" },
      strokeDash: { condition: { test: "indexof(datum.series, 'target') >= 0", value: [4, 4] }, value: [1, 0] },
      tooltip: { field: "mb", type: "quantitative" },
    },
  };
}

/** Renders the three charts into `dir`; returns the files written. */
export async function writeCharts(r: EngineBenchResult, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const charts: [string, Spec][] = [
    ["bench-latency-vs-views.svg", latencyVersusViews(r)],
    ["bench-throughput-vs-batch.svg", throughputVersusBatch(r)],
    ["bench-memory-vs-records.svg", memoryVersusRecords(r)],
  ];
  const files: string[] = [];
  for (const [name, spec] of charts) {
    const file = path.join(dir, name);
    writeFileSync(file, await renderSvg(spec));
    files.push(file);
  }
  return files;
}

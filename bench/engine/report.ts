/** The engine benchmark's printed table and JSON files. */
import { writeResultFiles } from "../lib/results.js";
import { fmt, table } from "../lib/table.js";
import type { EngineBenchResult } from "./engine-bench.js";


export function formatReport(r: EngineBenchResult): string {
  const m = r.machine;
  const out: string[] = [
    `SSP engine benchmark (${r.preset}) — seed ${r.seed}, ${m.cpus}× ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, commit ${m.commit.slice(0, 10)}${m.dirty ? " (dirty)" : ""}, load average ${m.loadAverage.join(" ")}`,
    "",
    table(
      ["workload", "records", "views", "p50 µs", "p99 µs", "p999 µs", "rec/s b=1", "rec/s b=10", "rec/s b=100", "register ms/view", "B/record", "×JSON"],
      r.workloads.map((w) => {
        const tp = (n: number) => fmt(w.throughput.find((t) => t.batchSize === n)?.recordsPerS);
        return [
          w.name,
          fmt(w.load.records, 0),
          fmt(w.registration.views, 0),
          fmt(w.latency.p50Us),
          fmt(w.latency.p99Us),
          fmt(w.latency.p999Us),
          tp(1),
          tp(10),
          tp(100),
          fmt(w.registration.meanMsPerView, 3),
          fmt(w.memory.bytesPerRecord, 0),
          fmt(w.memory.ratioToJson, 2),
        ];
      }),
    ),
    "",
    table(
      [
        "baselines (mean/ingest)",
        "SSP µs",
        "changed views",
        "naive µs",
        "×",
        "reading views",
        "naive µs",
        "×",
        "SurrealDB µs",
        "×",
        "check",
      ],
      r.workloads.map((w) => [
        w.name,
        fmt(w.naive.sspMeanUs),
        fmt(w.naive.changedViewsPerIngest, 2),
        fmt(w.naive.changedOnlyMeanUs),
        fmt(w.naive.changedOnlyRatio, 0),
        fmt(w.naive.readingViewsPerIngest, 0),
        fmt(w.naive.readingMeanUs),
        fmt(w.naive.readingRatio, 0),
        fmt(w.surreal?.surrealMeanUs),
        fmt(w.surreal?.ratio, 0),
        w.check.mismatches.length === 0 ? `ok (${w.check.viewsChecked})` : `${w.check.mismatches.length} MISMATCHES`,
      ]),
    ),
    "",
    table(
      ["registration probe", "table", "records", "p50 ms", "max ms"],
      r.workloads.map((w) => {
        const p = w.registration.probe;
        return [w.name, p.table, fmt(p.tableRecords, 0), fmt(p.p50Ms, 2), fmt(p.maxMs, 2)];
      }),
    ),
    "",
    table(
      ["target (DESIGN.md)", "goal", "measured", "met"],
      r.targets.map((t) => [t.target, t.goal, `${fmt(t.value)} ${t.unit}`, t.met ? "yes" : "NO"]),
    ),
  ];
  return out.join("\n");
}

/** Writes `<name>-<timestamp>.json` and `latest-<name>.json`; returns their paths. */
export function writeResults(r: EngineBenchResult, dir: string, name: string): string[] {
  return writeResultFiles(r, dir, name);
}

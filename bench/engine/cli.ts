/**
 * `node --expose-gc bench/engine.ts [--preset full|quick|toy] [--seed N] [--only W1,W2]`:
 * runs the engine benchmark, prints the table, writes bench/results/ JSON and
 * redraws the charts (docs/ for the full run, bench/results/charts-<preset>/ otherwise).
 * `node bench/engine.ts --charts-from bench/results/latest-engine.json` only prints
 * that run's table and redraws docs/ from it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeCharts } from "./charts.js";
import { runEngineBench, type EngineBenchResult } from "./engine-bench.js";
import { PRESETS, type PresetName } from "./presets.js";
import { formatReport, writeResults } from "./report.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

const { values } = parseArgs({
  options: {
    preset: { type: "string", default: "full" },
    seed: { type: "string", default: "20251125" },
    only: { type: "string" },
    "charts-from": { type: "string" },
  },
});

if (values["charts-from"] !== undefined) {
  const saved = JSON.parse(readFileSync(values["charts-from"], "utf8")) as EngineBenchResult;
  console.log(formatReport(saved));
  const files = await writeCharts(saved, path.join(ROOT, "docs"));
  console.log(`\nwrote ${files.map((f) => path.relative(ROOT, f)).join(", ")}`);
  process.exit(0);
}

const presetName = values.preset as PresetName;
if (!(presetName in PRESETS)) throw new Error(`unknown preset ${JSON.stringify(values.preset)} (full, quick, toy)`);
const seed = Number(values.seed);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
if (!(globalThis as { gc?: unknown }).gc) console.error("note: run with node --expose-gc to measure memory");

const result = await runEngineBench({
  preset: presetName,
  seed,
  only: values.only?.split(",").map((s) => s.trim()),
  log: (line) => console.error(line),
});
console.log(formatReport(result));
const name = presetName === "full" ? "engine" : `engine-${presetName}`;
const files = writeResults(result, path.join(ROOT, "bench/results"), name);
const chartDir = PRESETS[presetName].publishCharts ? path.join(ROOT, "docs") : path.join(ROOT, `bench/results/charts-${presetName}`);
files.push(...(await writeCharts(result, chartDir)));
console.log(`\nwrote ${files.map((f) => path.relative(ROOT, f)).join(", ")}`);

/**
 * Smoke test of the engine benchmark at toy size: every workload runs through
 * the same code paths as `make bench`, the JSON has the documented shape, and
 * at the end SSP's memberships equal a from-scratch evaluation. No timing is
 * asserted: the machine decides those.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCharts } from "../../bench/engine/charts.js";
import { runEngineBench, type EngineBenchResult } from "../../bench/engine/engine-bench.js";
import { PRESETS } from "../../bench/engine/presets.js";
import { writeResults } from "../../bench/engine/report.js";
import { filterWorkload } from "../../bench/engine/workloads/w1-filters.js";

const toy = PRESETS.toy;
let result: EngineBenchResult;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ssp-bench-"));
  result = await runEngineBench({ preset: "toy", seed: 7 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("engine benchmark at toy size", () => {
  it("runs every workload, W2 once per view count", () => {
    expect(result.workloads.map((w) => w.name)).toEqual([
      "W1-filters",
      ...toy.fanOut.views.map((n) => `W2-fan-out-${n}`),
      "W3-subqueries",
      "W4-top-k",
      "original",
    ]);
  });

  it("ends with every view's membership equal to a from-scratch evaluation", () => {
    for (const w of result.workloads) {
      expect(w.check.mismatches, w.name).toEqual([]);
      expect(w.check.viewsChecked, w.name).toBe(w.registration.views);
    }
  });

  it("measures latency, throughput per batch size, registration and both naive readings", () => {
    for (const w of result.workloads) {
      const settings = w.name === "original" ? toy.originalSettings : toy.settings;
      expect(w.latency.samples).toBe(settings.samples);
      expect(w.latency.p50Us).toBeGreaterThan(0);
      expect(w.latency.p50Us).toBeLessThanOrEqual(w.latency.p99Us);
      expect(w.latency.p99Us).toBeLessThanOrEqual(w.latency.p999Us);
      expect(w.throughput.map((t) => t.batchSize)).toEqual([1, ...settings.batchSizes]);
      for (const t of w.throughput) expect(t.recordsPerS).toBeGreaterThan(0);
      expect(w.registration.probe.samples).toBe(settings.probeRegistrations);
      expect(w.naive.ingests).toBeGreaterThan(0);
      expect(Number.isFinite(w.naive.readingRatio)).toBe(true);
      expect(w.surreal).toBeUndefined();
    }
  });

  it("reports the DESIGN.md targets it can judge", () => {
    expect(result.targets.map((t) => t.target)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^W1 one-record ingest p50/), expect.stringMatching(/^W2 p50 cost/), expect.stringMatching(/^original workload/)]),
    );
  });

  it("writes JSON that reads back identical, with machine, commit and seed", () => {
    const [stamped, latest] = writeResults(result, dir, "engine-toy");
    const back = JSON.parse(readFileSync(latest!, "utf8")) as EngineBenchResult;
    expect(readFileSync(stamped!, "utf8")).toBe(readFileSync(latest!, "utf8"));
    expect(back).toEqual(JSON.parse(JSON.stringify(result)));
    expect(back.seed).toBe(7);
    expect(back.machine.node).toBe(process.version);
    expect(back.machine.commit).toMatch(/^[0-9a-f]{40}$|^unknown$/);
  });

  it("draws the three charts as SVG", async () => {
    const files = await writeCharts(result, path.join(dir, "charts"));
    expect(readdirSync(path.join(dir, "charts")).sort()).toEqual(files.map((f) => path.basename(f)).sort());
    for (const f of files) expect(readFileSync(f, "utf8")).toMatch(/^<svg/);
  });
});

describe("workload generation", () => {
  it("is reproducible from the seed and differs across seeds", () => {
    const sizes = { records: 200, views: 16, createShare: 0.25 };
    const a = filterWorkload("a", "a", sizes, 1);
    const b = filterWorkload("a", "a", sizes, 1);
    const c = filterWorkload("a", "a", sizes, 2);
    expect(b.records).toEqual(a.records);
    expect(b.views).toEqual(a.views);
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(Array.from({ length: 50 }, () => a.next()));
    expect(c.records).not.toEqual(a.records);
  });
});

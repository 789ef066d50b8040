/** Timing and summary statistics for the benchmark (nanosecond samples, reported in µs). */
export interface LatencySummary {
  readonly samples: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

export function now(): bigint {
  return process.hrtime.bigint();
}

export function elapsedNs(since: bigint): number {
  return Number(process.hrtime.bigint() - since);
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samplesNs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesNs).sort();
  const values = Array.from(sorted);
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const us = (ns: number) => round(ns / 1000);
  return {
    samples: values.length,
    meanUs: us(mean),
    p50Us: us(percentile(values, 0.5)),
    p99Us: us(percentile(values, 0.99)),
    p999Us: us(percentile(values, 0.999)),
    maxUs: us(values[values.length - 1] ?? Number.NaN),
  };
}

/** Three significant digits: enough for noisy timings, short in JSON. */
export function round(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  const f = 10 ** Math.min(digits, 6);
  return Math.round(x * f) / f;
}

/** Full garbage collection when the process runs with --expose-gc; false otherwise. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/**
 * Run counts and seeds for the differential suites, from the environment:
 * `SSP_FUZZ_RUNS` (number of sequences), `SSP_FUZZ_SEED` (fast-check seed, or
 * `random`; a failure prints the one to reuse) and `SSP_FUZZ_PATH` (replay one shrunk case).
 */
export interface FuzzSettings {
  readonly runs: number;
  readonly seed: number | undefined;
  readonly path: string | undefined;
}

/** `make test` explores the same cases every time; set SSP_FUZZ_SEED=random (or any number) to explore others. */
export const DEFAULT_SEED = 20261125;

export function fuzzSettings(defaultRuns: number): FuzzSettings {
  const runs = process.env.SSP_FUZZ_RUNS === undefined ? defaultRuns : Number(process.env.SSP_FUZZ_RUNS);
  const rawSeed = process.env.SSP_FUZZ_SEED;
  const seed = rawSeed === undefined ? DEFAULT_SEED : rawSeed === "random" ? undefined : Number(rawSeed);
  if (!Number.isInteger(runs) || runs < 0) throw new Error(`SSP_FUZZ_RUNS must be a non-negative integer, got ${process.env.SSP_FUZZ_RUNS}`);
  if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`SSP_FUZZ_SEED must be an integer, got ${process.env.SSP_FUZZ_SEED}`);
  return { runs, seed, path: process.env.SSP_FUZZ_PATH };
}

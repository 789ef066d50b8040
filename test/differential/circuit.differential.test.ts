/**
 * The circuit against SurrealDB itself: random ingests and view
 * (re)registrations applied to both, with every view's membership and every
 * emitted delta checked after every step (see run-sequence.ts). Some steps
 * restart the circuit from a JSON snapshot of itself mid-sequence.
 *
 * Default: 300 sequences. Scale and replay through the environment:
 *   SSP_FUZZ_RUNS=5000 SSP_FUZZ_SEED=123 vitest run test/differential
 *   SSP_FUZZ_SEED=<seed> SSP_FUZZ_PATH=<path> vitest run test/differential   (replay a failure)
 *   SSP_FUZZ_LINK_FETCHES=0 …   (no `link.*` projections: look past a bug in them; coverage then fails)
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Circuit } from "../../src/circuit/index.js";
import { sequenceArb } from "./arbitraries/steps.js";
import { SurrealOracle } from "./oracle.js";
import { type SequenceStats, runSequence } from "./run-sequence.js";
import { Coverage } from "./coverage.js";
import { fuzzSettings } from "./settings.js";

/** A restart: the state as plain JSON, restored into a fresh circuit. */
function throughSnapshot(circuit: Circuit): Circuit {
  return Circuit.fromSnapshot(JSON.parse(JSON.stringify(circuit.exportState())));
}

let oracle: SurrealOracle;
beforeAll(async () => {
  oracle = await SurrealOracle.open();
});
afterAll(async () => {
  await oracle.close();
});

describe("circuit vs SurrealDB", () => {
  it("keeps every view's membership and deltas equal to SurrealDB's over random sequences", async () => {
    const settings = fuzzSettings(300);
    const totals: SequenceStats = { steps: 0, checks: 0, qlWasmGaps: 0, coverage: new Coverage() };
    await fc.assert(
      fc.asyncProperty(sequenceArb({ linkFetches: process.env.SSP_FUZZ_LINK_FETCHES !== "0" }), async (steps) => {
        const stats = await runSequence(steps, new Circuit(), oracle, { restore: throughSnapshot });
        totals.steps += stats.steps;
        totals.checks += stats.checks;
        totals.qlWasmGaps += stats.qlWasmGaps;
        totals.coverage.add(stats.coverage);
      }),
      { numRuns: settings.runs, seed: settings.seed, path: settings.path, endOnFailure: settings.path !== undefined },
    );
    console.log(
      `differential: ${settings.runs} sequences, ${totals.steps} steps, ${totals.checks} view states compared with SurrealDB` +
        (totals.qlWasmGaps > 0 ? `, ${totals.qlWasmGaps} views refused for the known ql-wasm gap (\`< -n\`)` : ""),
    );
    console.log(`differential coverage (views registered per construct of the README's grammar):\n${totals.coverage.table()}`);
    expect(totals.checks).toBeGreaterThan(0);
    // A replay runs one case; any other run must have drawn every construct at least once.
    if (settings.path === undefined) expect(totals.coverage.missing(), "constructs no generated view used (raise SSP_FUZZ_RUNS?)").toEqual([]);
  }, 600_000);
});

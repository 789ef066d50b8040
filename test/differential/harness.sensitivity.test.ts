/**
 * The harness has teeth: a circuit that reads each view slightly wrong (its
 * text mutated before registration) must be caught within a few sequences.
 * If this fails, the generators stopped producing the construct in question.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Circuit } from "../../src/circuit/index.js";
import type { ViewSpec } from "../../src/circuit/types.js";
import { sequenceArb, type Step } from "./arbitraries/steps.js";
import { renderQuery } from "./query/render.js";
import { SurrealOracle } from "./oracle.js";
import { type Engine, runSequence } from "./run-sequence.js";
import { DEFAULT_SEED } from "./settings.js";

let oracle: SurrealOracle;
beforeAll(async () => {
  oracle = await SurrealOracle.open();
});
afterAll(async () => {
  await oracle.close();
});

/** A circuit that registers every view with `mutate(surql)` instead of its text. */
function misreading(mutate: (surql: string) => string): Engine {
  const circuit = new Circuit();
  return {
    ingest: (changes) => circuit.ingest(changes),
    registerView: (spec: ViewSpec) => circuit.registerView({ ...spec, surql: mutate(spec.surql) }),
    unregisterView: (id) => circuit.unregisterView(id),
    getView: (id) => circuit.getView(id),
  };
}

const MUTANTS: readonly (readonly [string, (surql: string) => string])[] = [
  ["DESC read as ASC", (s) => s.replace(/ DESC/g, " ASC")],
  ["LIMIT off by one", (s) => s.replace(/LIMIT (\d)/g, (_, n: string) => `LIMIT ${Number(n) + 1}`)],
  ["START off by one", (s) => s.replace(/START (\d)/g, (_, n: string) => `START ${Number(n) + 1}`)],
  ["IS NONE read as IS NULL", (s) => s.replace(/IS NONE/g, "IS NULL")],
  ["CONTAINSALL read as CONTAINSANY", (s) => s.replace(/CONTAINSALL/g, "CONTAINSANY")],
  ["the wrong link followed", (s) => s.replace(/\$parent\.author/g, "$parent.ref")],
  ["ALLINSIDE read as ANYINSIDE", (s) => s.replace(/ALLINSIDE/g, "ANYINSIDE")],
];

/** Whether `step` registers a view whose text `mutate` changes. */
function mutates(step: Step, mutate: (surql: string) => string): boolean {
  if (step.kind !== "register") return false;
  const surql = renderQuery(step.view.query);
  return mutate(surql) !== surql;
}

describe("differential harness", () => {
  it.each(MUTANTS)("catches a circuit that has %s", async (_, mutate) => {
    const result = await fc.check(
      // Only sequences the mutant reads differently can catch it: filtering costs a
      // render per generated sequence, where running one costs the oracle.
      fc.asyncProperty(sequenceArb().filter((steps) => steps.some((step) => mutates(step, mutate))), async (steps) => {
        await runSequence(steps, misreading(mutate), oracle);
      }),
      { numRuns: 200, seed: DEFAULT_SEED, endOnFailure: true },
    );
    expect(result.failed).toBe(true);
  });
});

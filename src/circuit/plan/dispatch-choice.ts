/** Which dispatch a plan indexes its instances by, among the conjuncts that could (parse/compile.ts finds them). */
import { intervalOf, type Dispatch, type RangeDispatch } from "./dispatch.js";

/** A conjunct that can dispatch, or a pair of them (an interval). */
export interface DispatchCandidate {
  readonly dispatch: Dispatch;
  readonly constant: boolean;
  /** Which top-level conjuncts it stands for. */
  readonly conjuncts: readonly number[];
}

/**
 * Picks, among the top-level conjuncts `field op E` (E reads no row, the field path
 * crosses no link), the one that best narrows which instances a row change visits:
 * equality, then membership, then an interval (two ranges on one field), then
 * a range; an E that differs between instances (a param, `$parent`) before a
 * constant one. An equality or membership is refined the same way by the best
 * of the other conjuncts, and so on down.
 */
export function chooseDispatch(candidates: DispatchCandidate[]): Dispatch | undefined {
  // A lower and an upper bound on one field make an interval.
  const ranges = candidates.filter((c) => c.dispatch.kind === "range");
  for (const [i, a] of ranges.entries()) {
    for (const b of ranges.slice(i + 1)) {
      const interval = intervalOf(a.dispatch as RangeDispatch, b.dispatch as RangeDispatch);
      if (interval) candidates.push({ dispatch: interval, constant: a.constant && b.constant, conjuncts: [...a.conjuncts, ...b.conjuncts] });
    }
  }
  return bestDispatch(candidates);
}

function bestDispatch(candidates: readonly DispatchCandidate[]): Dispatch | undefined {
  let best: { rank: number; candidate: DispatchCandidate } | undefined;
  for (const candidate of candidates) {
    const rank = DISPATCH_RANK[candidate.dispatch.kind] + (candidate.constant ? 4 : 0);
    if (!best || rank < best.rank) best = { rank, candidate };
  }
  if (!best) return undefined;
  const { dispatch, conjuncts: used } = best.candidate;
  if (dispatch.kind !== "equal" && dispatch.kind !== "member") return dispatch;
  const refine = bestDispatch(candidates.filter((c) => !c.conjuncts.some((n) => used.includes(n))));
  return refine ? { ...dispatch, refine } : dispatch;
}

const DISPATCH_RANK: { readonly [kind in Dispatch["kind"]]: number } = { equal: 0, member: 1, interval: 2, range: 3 };

/**
 * Random sequences of what the server does to a circuit: ingest batches,
 * identical re-sends, view registrations (a reused id replaces the view) and
 * unregistrations. Steps that depend on state (which record exists, which view
 * is registered) name a slot and are resolved when the sequence runs.
 */
import fc from "fast-check";
import type { ViewDescription } from "../query/description.js";
import { type Body, type Change, type ChangeOp, type RecordRef, bodyArb, changeArb, narrowBodyArb, recordRefArb, tiedBodyArb, versionedChangeArb } from "./records.js";
import { keyArb, tableArb } from "./values.js";
import { type ViewOptions, mixedViewArb, paramsArb } from "./views.js";

/** Few view ids, so registrations often replace a live view. */
export const VIEW_IDS = ["v0", "v1", "v2", "v3"] as const;

export type Step =
  | { readonly kind: "ingest"; readonly changes: readonly Change[] }
  /**
   * Change the `slot`-th record that a held record links to (modulo their
   * number), existing or not: what WHERE paths, `$parent` paths and `link.*`
   * read through, so the views that follow the link must move.
   */
  | { readonly kind: "linked"; readonly slot: number; readonly op: ChangeOp; readonly body: Body }
  /** Re-send a held record's body as UPDATE: must change nothing. */
  | { readonly kind: "resend"; readonly record: RecordRef }
  | { readonly kind: "register"; readonly viewId: string; readonly view: ViewDescription }
  /**
   * Register `viewId` with the query of the `slot`-th registered view but other
   * params: views of one shape share an operator chain in the circuit.
   */
  | { readonly kind: "sibling"; readonly viewId: string; readonly slot: number; readonly params: ViewDescription["params"] | "same" }
  /** Unregister the `slot`-th registered view (modulo their number), if any. */
  | { readonly kind: "unregister"; readonly slot: number }
  /** Snapshot the engine and continue on a copy restored from it (when the runner supports it). */
  | { readonly kind: "restore" }
  /** A batch with one invalid change at `badIndex`: must be refused whole, changing nothing. */
  | { readonly kind: "invalid"; readonly changes: readonly Change[]; readonly badIndex: number; readonly defect: Defect };

/** Ways a change can be invalid on the wire. */
export type Defect = "unknown op" | "table mismatch" | "body not an object" | "bad id";

export interface SequenceOptions extends ViewOptions {
  readonly maxSteps?: number;
  /** Give half the changes explicit versions (stale ones included). Default true; false leaves them all unversioned. */
  readonly explicitVersions?: boolean;
}

/** Several changes to one record in one batch: the deltas must report the net effect. */
const churnArb: fc.Arbitrary<Change[]> = fc
  .tuple(recordRefArb, fc.array(fc.tuple(fc.constantFrom<ChangeOp>("CREATE", "UPDATE", "DELETE"), bodyArb), { minLength: 2, maxLength: 3 }))
  .map(([record, ops]) => ops.map(([op, body]): Change => (op === "DELETE" ? { op, record, spelling: op } : { op, record, body, spelling: op })));

/** Many records of one table with few distinct values: ties, displacement and refills. */
const bulkArb: fc.Arbitrary<Change[]> = fc
  .tuple(tableArb, fc.uniqueArray(fc.tuple(keyArb, narrowBodyArb), { minLength: 3, maxLength: 8, selector: ([k]) => `${typeof k}:${k}` }))
  .map(([table, rows]) => rows.map(([key, body]): Change => ({ op: "CREATE", record: { table, key }, body, spelling: "CREATE" })));

/**
 * More than 20 rows of one table, nearly all tied on every field a view orders
 * by: past 20 tied rows SurrealDB 3.0.2 sorts unstably unless LIMIT is a literal,
 * which the oracle neutralises by ending each ORDER BY with `id` (render.ts).
 * Their keys (101…) are outside `keyArb`'s, so a shrunk reproducer that does
 * not need the crowd drops the whole step.
 */
const bigTieArb: fc.Arbitrary<Change[]> = fc
  .tuple(tableArb, fc.array(tiedBodyArb, { minLength: 21, maxLength: 24 }))
  .map(([table, bodies]) => bodies.map((body, i): Change => ({ op: "CREATE", record: { table, key: 101 + i }, body, spelling: "CREATE" })));

export function stepArb(options: SequenceOptions = {}): fc.Arbitrary<Step> {
  const change = (options.explicitVersions ?? true) ? versionedChangeArb : changeArb;
  return fc.oneof(
    { arbitrary: fc.array(change, { minLength: 1, maxLength: 3 }).map((changes): Step => ({ kind: "ingest", changes })), weight: 10 },
    { arbitrary: churnArb.map((changes): Step => ({ kind: "ingest", changes })), weight: 1 },
    { arbitrary: bulkArb.map((changes): Step => ({ kind: "ingest", changes })), weight: 1 },
    { arbitrary: bigTieArb.map((changes): Step => ({ kind: "ingest", changes })), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...VIEW_IDS), fc.nat(3), fc.oneof({ arbitrary: paramsArb, weight: 3 }, { arbitrary: fc.constant("same" as const), weight: 1 }))
        .map(([viewId, slot, params]): Step => ({ kind: "sibling", viewId, slot, params })),
      weight: 2,
    },
    { arbitrary: recordRefArb.map((record): Step => ({ kind: "resend", record })), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.nat(40), fc.constantFrom<ChangeOp>("CREATE", "UPDATE", "UPDATE", "DELETE"), fc.oneof(narrowBodyArb, bodyArb))
        .map(([slot, op, body]): Step => ({ kind: "linked", slot, op, body })),
      weight: 3,
    },
    {
      arbitrary: fc.tuple(fc.constantFrom(...VIEW_IDS), mixedViewArb(options)).map(([viewId, view]): Step => ({ kind: "register", viewId, view })),
      weight: 3,
    },
    { arbitrary: fc.nat(3).map((slot): Step => ({ kind: "unregister", slot })), weight: 1 },
    { arbitrary: fc.constant<Step>({ kind: "restore" }), weight: 1 },
    {
      arbitrary: fc
        .tuple(fc.array(changeArb, { minLength: 1, maxLength: 3 }), fc.nat(), fc.constantFrom<Defect>("unknown op", "table mismatch", "body not an object", "bad id"))
        .map(([changes, i, defect]): Step => ({ kind: "invalid", changes, badIndex: i % changes.length, defect })),
      weight: 1,
    },
  );
}

/** A sequence that starts with some data and one view, then interleaves everything. */
export function sequenceArb(options: SequenceOptions = {}): fc.Arbitrary<Step[]> {
  const maxSteps = options.maxSteps ?? 24;
  return fc
    .tuple(
      fc.array(changeArb, { maxLength: 10 }),
      fc.tuple(fc.constantFrom(...VIEW_IDS), mixedViewArb(options)),
      // size "max": fast-check's default size would cap sequences at ~10 steps.
      fc.array(stepArb(options), { minLength: 1, maxLength: maxSteps, size: "max" }),
    )
    .map(([seed, [viewId, view], steps]): Step[] => [
      ...(seed.length > 0 ? [{ kind: "ingest", changes: seed } as const] : []),
      { kind: "register", viewId, view },
      ...steps,
    ]);
}

/**
 * What the journal records: every acknowledged mutation, as the caller sent it.
 * Replaying the entries after a snapshot, in order, through the same circuit
 * methods rebuilds the state as of the last acknowledged mutation, because the
 * circuit is a pure function of (state, ordered mutations).
 */
import type { Circuit, RecordChange, ViewSpec } from "../circuit/index.js";

export type JournalEntry =
  | { readonly kind: "ingest"; readonly changes: readonly RecordChange[] }
  | { readonly kind: "register"; readonly spec: ViewSpec }
  | { readonly kind: "unregister"; readonly id: string }
  | { readonly kind: "reset" };

/** Applies one journalled mutation to the circuit, as it was applied when acknowledged. */
export function replayEntry(circuit: Circuit, entry: JournalEntry): void {
  switch (entry.kind) {
    case "ingest":
      circuit.ingest(entry.changes, { replay: true });
      return;
    case "register":
      circuit.registerView(entry.spec);
      return;
    case "unregister":
      circuit.unregisterView(entry.id);
      return;
    case "reset":
      circuit.reset();
      return;
  }
}

/**
 * Everything that can change SSP's state is a Mutation. The journal records
 * each acknowledged one as the caller sent it (the on-disk form is this type's
 * JSON), and recovery re-applies them in order. Replaying the mutations after a
 * snapshot rebuilds the state as of the last acknowledged one, because the
 * circuit is a pure function of (state, ordered mutations).
 *
 * `applyToCircuit` is the one place a mutation changes the circuit: the core's
 * `apply` calls it for live mutations and create-core for replayed ones. A new
 * kind (expire, say) is a new variant here; every switch over kinds ends in
 * `unknownMutation`, so the compiler lists each place that must handle it.
 */
import type { Circuit, IngestResult, QueryLimits, RecordChange, RegisterResult, UnregisterResult, ViewSpec } from "../circuit/index.js";

export type Mutation =
  | { readonly kind: "ingest"; readonly changes: readonly RecordChange[] }
  | { readonly kind: "register"; readonly spec: ViewSpec }
  | { readonly kind: "unregister"; readonly id: string }
  | { readonly kind: "reset" };

export type MutationKind = Mutation["kind"];

/** What a mutation did to the circuit: its kind's result. */
export type CircuitEffect =
  | { readonly kind: "ingest"; readonly changes: readonly RecordChange[]; readonly result: IngestResult }
  | { readonly kind: "register"; readonly spec: ViewSpec; readonly result: RegisterResult }
  | { readonly kind: "unregister"; readonly id: string; readonly result: UnregisterResult }
  /** `removed`: the memberships the reset dropped, summed over every view. */
  | { readonly kind: "reset"; readonly removed: number };

/** The effect of a mutation of kind K. */
export type EffectOf<K extends MutationKind> = Extract<CircuitEffect, { readonly kind: K }>;

/**
 * How a mutation is applied. "live": checked as a new request is (the view
 * limits). "replay": as it was applied when acknowledged, whatever today's
 * checks say (an entry acknowledged once must replay the same way).
 */
export type ApplyMode = { readonly kind: "live"; readonly viewLimits: QueryLimits } | { readonly kind: "replay" };

/** Applies one mutation to the circuit; throws (changing nothing) when the circuit refuses it. */
export function applyToCircuit<M extends Mutation>(circuit: Circuit, mutation: M, mode: ApplyMode): EffectOf<M["kind"]> {
  return applyEach(circuit, mutation, mode) as EffectOf<M["kind"]>;
}

function applyEach(circuit: Circuit, mutation: Mutation, mode: ApplyMode): CircuitEffect {
  const replay = mode.kind === "replay";
  switch (mutation.kind) {
    case "ingest":
      return { kind: "ingest", changes: mutation.changes, result: circuit.ingest(mutation.changes, replay ? { replay } : {}) };
    case "register":
      return { kind: "register", spec: mutation.spec, result: circuit.registerView(mutation.spec, replay ? undefined : mode.viewLimits) };
    case "unregister":
      return { kind: "unregister", id: mutation.id, result: circuit.unregisterView(mutation.id) };
    case "reset": {
      const removed = circuit.listViews().reduce((sum, view) => sum + view.memberCount, 0);
      circuit.reset();
      return { kind: "reset", removed };
    }
    default:
      return unknownMutation(mutation);
  }
}

/** The default of a switch over mutation kinds: a compile error when a kind is missing. */
export function unknownMutation(mutation: never): never {
  throw new Error(`unknown mutation kind ${JSON.stringify((mutation as { kind?: unknown }).kind)}`);
}

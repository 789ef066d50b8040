/**
 * Runs one step sequence against the engine under test and the oracle, and
 * checks after every step that every view's membership (ids and versions) is
 * SurrealDB's, and that the engine's deltas are exactly the change in it.
 * A mismatch throws a `Mismatch` whose message is a self-contained reproducer.
 */
import type { Circuit } from "../../src/circuit/index.js";
import { CircuitError } from "../../src/circuit/index.js";
import type { Delta, Member, RecordChange, ViewDelta, ViewSpec } from "../../src/circuit/types.js";
import { type Change, recordIdText, toRecordChange } from "./arbitraries/records.js";
import { EMPTY_TABLE, idKey, toWire } from "./arbitraries/values.js";
import { Coverage, type RegistrationKind } from "./coverage.js";
import type { Defect, Step } from "./arbitraries/steps.js";
import { type ExpectedDelta, type Members, RecordModel, diffMembers, sortDeltas } from "./model.js";
import { SurrealOracle, hasKnownQlWasmGap, qlWasmParses } from "./oracle.js";
import type { ViewDescription } from "./query/description.js";
import { renderQuery } from "./query/render.js";

/** The part of the circuit the differential test drives. */
export type Engine = Pick<Circuit, "ingest" | "registerView" | "unregisterView" | "getView">;

export interface SequenceStats {
  steps: number;
  /** View states compared with SurrealDB. */
  checks: number;
  /** Views the engine refused because ql-wasm cannot parse text SurrealDB accepts. */
  qlWasmGaps: number;
  /** Views registered, per grammar construct they use. */
  readonly coverage: Coverage;
}

export class Mismatch extends Error {
  override name = "Mismatch";
}

interface ModelView {
  readonly description: ViewDescription;
  readonly surql: string;
  members: Members;
  sequence: number;
}

export interface RunOptions<E extends Engine> {
  /** Snapshot `engine` and return a copy restored from it; without it, `restore` steps are skipped. */
  readonly restore?: (engine: E) => E;
}

export async function runSequence<E extends Engine>(steps: readonly Step[], engine: E, oracle: SurrealOracle, options: RunOptions<E> = {}): Promise<SequenceStats> {
  await oracle.reset();
  const records = new RecordModel();
  const views = new Map<string, ModelView>();
  const stats: SequenceStats = { steps: 0, checks: 0, qlWasmGaps: 0, coverage: new Coverage() };
  const log: string[] = [];
  /** The least sequence never issued: a new view starts here (ids never reuse old cursors). */
  let nextSequence = 0;
  const advance = (view: ModelView) => {
    view.sequence++;
    nextSequence = Math.max(nextSequence, view.sequence + 1);
  };

  const fail = (what: string, view?: ModelView & { id: string }): never => {
    const lines = [what, "", "steps so far:", ...log.map((l, i) => `  ${i}. ${l}`), "", "records held:", ...records.dump().map((r) => `  ${r}`)];
    if (view) lines.push("", `view ${view.id}: ${view.surql}`, `params: ${JSON.stringify(toWire(view.description.params))}`);
    throw new Mismatch(lines.join("\n"));
  };

  /** SurrealDB's member ids, with the model's versions. */
  const withVersions = (ids: ReadonlySet<string>): Map<string, number> => {
    stats.checks++;
    return new Map([...ids].map((id) => [id, records.version(id)]));
  };

  const applyChanges = async (changes: readonly Change[], wire: RecordChange[]) => {
    let result;
    try {
      result = engine.ingest(wire);
    } catch (err) {
      return fail(`ingest rejected ${JSON.stringify(wire)}: ${String(err)}`);
    }
    const fresh = changes.filter((c) => records.apply(c));
    const live = [...views];
    const memberships = await oracle.step(
      fresh,
      live.map(([, v]) => v.description),
    );
    const stale = changes.length - fresh.length;
    if (result.stale !== stale) fail(`ingest reported ${result.stale} stale changes, expected ${stale}`);
    const reported = new Map<string, ViewDelta>();
    for (const d of result.views) {
      if (reported.has(d.viewId)) fail(`ingest reported view ${d.viewId} twice`);
      reported.set(d.viewId, d);
    }
    for (const [i, [id, view]] of live.entries()) {
      const after = withVersions(memberships[i]!);
      const expected = diffMembers(view.members, after);
      checkDelta(reported.get(id), expected, view.sequence + 1, id, view);
      reported.delete(id);
      view.members = after;
      if (expected.length > 0) advance(view);
    }
    for (const id of reported.keys()) fail(`ingest reported deltas for ${id}, which is not registered`);
  };

  const checkDelta = (actual: ViewDelta | undefined, expected: ExpectedDelta[], sequence: number, id: string, view: ModelView) => {
    const got = actual ? sortDeltas(actual.deltas.map(deltaText)) : [];
    if (!sameDeltas(got, expected)) {
      fail(
        `deltas of ${id} differ\n  expected: ${formatDeltas(expected)}\n  circuit:  ${formatDeltas(got)}\n` +
          `  members before: ${formatMembers(view.members)}`,
        { ...view, id },
      );
    }
    if (actual && actual.sequence !== sequence) fail(`view ${id}: delta sequence ${actual.sequence}, expected ${sequence}`, { ...view, id });
  };

  const checkState = (id: string, view: ModelView, members: readonly Member[], sequence: number, when: string) => {
    const got = memberMap(members);
    if (!sameMembers(got, view.members)) {
      const missing = [...view.members.keys()].filter((k) => !got.has(k));
      const extra = [...got.keys()].filter((k) => !view.members.has(k));
      fail(
        `${when}: membership of ${id} differs\n  SurrealDB: ${formatMembers(view.members)}\n  circuit:   ${formatMembers(got)}\n` +
          `  missing in circuit: [${missing.join(", ")}]  extra in circuit: [${extra.join(", ")}]`,
        { ...view, id },
      );
    }
    if (sequence !== view.sequence) fail(`${when}: sequence of ${id} is ${sequence}, expected ${view.sequence}`, { ...view, id });
  };

  for (const step of steps) {
    stats.steps++;
    switch (step.kind) {
      case "ingest": {
        const wire = step.changes.map(toRecordChange);
        log.push(`ingest ${JSON.stringify(wire)}`);
        await applyChanges(step.changes, wire);
        break;
      }
      case "linked": {
        const targets = records.linkTargets();
        if (targets.length === 0) continue;
        const record = targets[step.slot % targets.length]!;
        const change: Change = step.op === "DELETE" ? { op: "DELETE", record, spelling: "DELETE" } : { op: step.op, record, body: step.body, spelling: step.op };
        const wire = [toRecordChange(change)];
        log.push(`ingest (a linked record) ${JSON.stringify(wire)}`);
        await applyChanges([change], wire);
        break;
      }
      case "resend": {
        const held = records.get(recordIdText(step.record));
        if (!held) continue;
        const change: Change = { op: "UPDATE", record: step.record, body: held.body, spelling: "UPDATE" };
        const wire = [toRecordChange(change)];
        log.push(`ingest (identical re-send) ${JSON.stringify(wire)}`);
        await applyChanges([change], wire);
        break;
      }
      case "sibling":
      case "register": {
        let description: ViewDescription;
        let kind: RegistrationKind;
        if (step.kind === "sibling") {
          const ids = [...views.keys()].sort();
          if (ids.length === 0) continue;
          const source = views.get(ids[step.slot % ids.length]!)!.description;
          description = { query: source.query, params: step.params === "same" ? source.params : step.params };
          kind = step.params === "same" ? "sibling, same params" : "sibling, other params";
        } else description = step.view;
        const surql = renderQuery(description.query);
        if (step.kind === "register") {
          const held = views.get(step.viewId);
          kind = held === undefined ? "new" : held.surql === surql ? "same query" : "new query";
        }
        const spec: ViewSpec = { id: step.viewId, surql, params: wireParams(description), clientId: "differential", ttlMs: 60_000, lastActiveAt: 0 };
        log.push(`register ${step.viewId}: ${surql}  params ${JSON.stringify(spec.params)}`);
        const previous = views.get(step.viewId);
        let result;
        try {
          result = engine.registerView(spec);
        } catch (err) {
          if (err instanceof CircuitError && !qlWasmParses(surql) && hasKnownQlWasmGap(surql)) {
            stats.qlWasmGaps++;
            log[log.length - 1] += "  → refused (known ql-wasm gap), previous view kept";
            break;
          }
          return fail(`registerView refused a supported view: ${String(err)}\n  ${surql}\n  params ${JSON.stringify(spec.params)}`);
        }
        const view: ModelView = { description, surql, members: new Map(), sequence: previous?.sequence ?? nextSequence };
        nextSequence = Math.max(nextSequence, view.sequence + 1);
        view.members = withVersions(await oracle.membership(view.description));
        if (previous) {
          const expected = diffMembers(previous.members, view.members);
          if (expected.length > 0) advance(view);
          checkDelta(result.replaced, expected, view.sequence, step.viewId, view);
          if (expected.length === 0 && result.replaced) fail(`re-registering ${step.viewId} changed nothing but reported a delta`, { ...view, id: step.viewId });
        } else if (result.replaced) fail(`registering new view ${step.viewId} reported a replacement`, { ...view, id: step.viewId });
        views.set(step.viewId, view);
        stats.coverage.record(description, kind!, EMPTY_TABLE);
        checkState(step.viewId, view, result.view.members, result.view.sequence, "registerView result");
        break;
      }
      case "invalid": {
        const wire: RecordChange[] = step.changes.map(toRecordChange);
        wire[step.badIndex] = spoil(wire[step.badIndex]!, step.defect);
        log.push(`ingest (invalid: ${step.defect} at ${step.badIndex}) ${JSON.stringify(wire)}`);
        try {
          engine.ingest(wire);
        } catch (err) {
          if (!(err instanceof CircuitError) || err.code !== "INVALID_ARGUMENT") fail(`an invalid batch threw ${String(err)}, not INVALID_ARGUMENT`);
          if ((err as CircuitError).index !== step.badIndex) fail(`an invalid batch named index ${(err as CircuitError).index}, expected ${step.badIndex}`);
          break;
        }
        return fail(`an invalid batch (${step.defect} at ${step.badIndex}) was accepted`);
      }
      case "restore": {
        if (!options.restore) continue;
        log.push("snapshot and restore");
        engine = options.restore(engine);
        break;
      }
      case "unregister": {
        const ids = [...views.keys()].sort();
        if (ids.length === 0) continue;
        const id = ids[step.slot % ids.length]!;
        log.push(`unregister ${id}`);
        const view = views.get(id)!;
        const result = engine.unregisterView(id);
        checkState(id, view, result.view.members, result.view.sequence, "unregisterView result");
        views.delete(id);
        if (engine.getView(id) !== undefined) fail(`view ${id} is still there after unregisterView`);
        break;
      }
    }
    for (const [id, view] of views) {
      const state = engine.getView(id);
      if (!state) return fail(`view ${id} vanished`);
      checkState(id, view, state.members, state.sequence, `after step ${log.length - 1}`);
    }
  }
  return stats;
}

function spoil(change: RecordChange, defect: Defect): RecordChange {
  switch (defect) {
    case "unknown op":
      return { ...change, op: "UPSERT" };
    case "table mismatch":
      return { ...change, table: change.id.startsWith("user:") ? "thread" : "user" };
    case "body not an object":
      return { ...change, op: "UPDATE", body: [1, 2] };
    case "bad id":
      return { ...change, id: "no colon here" };
  }
}

function wireParams(view: ViewDescription): ViewSpec["params"] {
  const out: Record<string, ReturnType<typeof toWire>> = {};
  for (const [k, v] of Object.entries(view.params)) out[k] = toWire(v);
  return out;
}

function deltaText(d: Delta): ExpectedDelta {
  return { id: idKey(d.id.table, d.id.key), event: d.event, version: d.version };
}

function memberMap(members: readonly Member[]): Map<string, number> {
  return new Map(members.map((m) => [idKey(m.id.table, m.id.key), m.version]));
}

function sameMembers(a: Members, b: Members): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameDeltas(a: readonly ExpectedDelta[], b: readonly ExpectedDelta[]): boolean {
  return a.length === b.length && a.every((d, i) => d.id === b[i]!.id && d.event === b[i]!.event && d.version === b[i]!.version);
}

function formatDeltas(ds: readonly ExpectedDelta[]): string {
  return `[${ds.map((d) => `${d.event} ${d.id} v${d.version}`).join(", ")}]`;
}

function formatMembers(m: Members): string {
  return `[${[...m.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([id, v]) => `${id} v${v}`)
    .join(", ")}]`;
}

/**
 * The crash suite's workload: a seeded stream of mutations (view registrations,
 * ingests, batches, deletes, one unregister) and a model that applies exactly the
 * acknowledged ones, from which every view's expected membership and versions
 * are recomputed from scratch with the circuit's own evaluateView.
 *
 * Every change carries an explicit, ever-growing version, so the model knows each
 * record's version without re-implementing the circuit's counting; the one rule
 * it must mirror is that an update with identical content changes nothing.
 */
import { evaluateView, type ViewSpec } from "../../src/circuit/index.js";

export type Body = { [key: string]: string | number | { $rid: string } };

export type Change =
  | { readonly op: "UPDATE"; readonly id: string; readonly body: Body; readonly version: number }
  | { readonly op: "DELETE"; readonly id: string; readonly version: number };

export type Mutation =
  | { readonly kind: "register"; readonly spec: ViewSpec }
  | { readonly kind: "unregister"; readonly id: string }
  | { readonly kind: "ingest"; readonly changes: readonly Change[] };

export interface ExpectedView {
  readonly members: readonly { readonly id: string; readonly version: number }[];
}

const spec = (id: string, surql: string, params: ViewSpec["params"] = {}): ViewSpec => ({
  id,
  surql,
  params,
  clientId: "crash",
  ttlMs: 60_000,
  lastActiveAt: 1_700_000_000_000,
});

/** A filter, a subquery, an ORDER BY … LIMIT, everything, and one that will be unregistered. */
export const VIEWS: readonly ViewSpec[] = [
  spec("all-items", "SELECT * FROM item"),
  spec("hot", "SELECT * FROM item WHERE score > $min", { min: 50 }),
  spec("owned", "SELECT *, (SELECT * FROM user WHERE id = $parent.owner)[0] AS owner FROM item WHERE score > 20"),
  spec("top", "SELECT * FROM item ORDER BY score DESC LIMIT 3"),
  spec("temp", "SELECT * FROM user WHERE name = 'u1'"),
];

/** mulberry32: small, fast and good enough to make a round reproducible from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records per writer: writers touch disjoint records, so their mutations commute. */
const ITEMS_PER_WRITER = 4;
const USERS_PER_WRITER = 2;
export const WRITERS = 3;

/**
 * An endless mutation stream for one of WRITERS concurrent writers. Writers touch
 * disjoint records (links may cross), so the final state does not depend on how
 * their mutations interleave; writer 0 also registers the views first and
 * unregisters `temp` at a random step.
 */
export function* mutations(seed: number, writer: number): Generator<Mutation> {
  const next = random(seed * WRITERS + writer);
  const pick = (n: number) => Math.floor(next() * n);
  let version = 0;
  const itemChange = (): Change => {
    const id = `item:${1 + writer * ITEMS_PER_WRITER + pick(ITEMS_PER_WRITER)}`;
    if (next() < 0.2) return { op: "DELETE", id, version: ++version };
    return { op: "UPDATE", id, body: { score: pick(100), owner: { $rid: `user:${1 + pick(WRITERS * USERS_PER_WRITER)}` } }, version: ++version };
  };
  const userChange = (): Change => ({
    op: "UPDATE",
    id: `user:${1 + writer * USERS_PER_WRITER + pick(USERS_PER_WRITER)}`, body: { name: `u${1 + pick(3)}` }, version: ++version });

  if (writer === 0) for (const view of VIEWS) yield { kind: "register", spec: view };
  const unregisterAt = writer === 0 ? 5 + pick(40) : -1;
  for (let step = 0; ; step++) {
    if (step === unregisterAt) yield { kind: "unregister", id: "temp" };
    const roll = next();
    if (roll < 0.55) yield { kind: "ingest", changes: [itemChange()] };
    else if (roll < 0.7) yield { kind: "ingest", changes: [userChange()] };
    else yield { kind: "ingest", changes: Array.from({ length: 2 + pick(4) }, () => (next() < 0.8 ? itemChange() : userChange())) };
  }
}

export class Model {
  private readonly records = new Map<string, { body: Body; version: number }>();
  private readonly views = new Map<string, ViewSpec>();

  apply(mutation: Mutation): void {
    switch (mutation.kind) {
      case "register":
        this.views.set(mutation.spec.id, mutation.spec);
        return;
      case "unregister":
        this.views.delete(mutation.id);
        return;
      case "ingest":
        for (const change of mutation.changes) {
          if (change.op === "DELETE") this.records.delete(change.id);
          else if (JSON.stringify(this.records.get(change.id)?.body) !== JSON.stringify(change.body)) {
            this.records.set(change.id, { body: change.body, version: change.version });
          }
        }
    }
  }

  clone(): Model {
    const copy = new Model();
    for (const [id, r] of this.records) copy.records.set(id, r);
    for (const [id, v] of this.views) copy.views.set(id, v);
    return copy;
  }

  /** Every view's membership recomputed from scratch over the model's records, ordered by view id. */
  expected(): Map<string, ExpectedView> {
    const inputs = [...this.records].map(([id, r]) => ({ id, body: r.body }));
    const out = new Map<string, ExpectedView>();
    for (const id of [...this.views.keys()].sort()) {
      const members = evaluateView(this.views.get(id)!, inputs).map((rid) => ({
        id: rid.toString(),
        version: this.records.get(rid.toString())?.version ?? -1,
      }));
      out.set(id, { members: members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) });
    }
    return out;
  }
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { evaluateView } from "./evaluate.js";
import type { RecordChange, ViewDelta, ViewSpec, WireValue } from "./types.js";

const QUERIES = [
  "SELECT * FROM thread",
  "SELECT * FROM thread WHERE room = $room",
  "SELECT * FROM thread WHERE n > 2 OR n IS NONE",
  "SELECT * FROM thread WHERE n != 3 AND tags CONTAINS 'a'",
  "SELECT * FROM thread WHERE tags CONTAINSANY ['a', 'b'] OR !n",
  "SELECT * FROM thread WHERE n IN [1, 2, NULL] ORDER BY n DESC LIMIT 3",
  "SELECT * FROM thread ORDER BY n ASC, room DESC LIMIT 2 START 1",
  "SELECT * FROM thread LIMIT 2",
  "SELECT * FROM thread ORDER BY n DESC START 2",
  "SELECT * FROM comment ORDER BY n, thread LIMIT 2 START 2",
  "SELECT * FROM comment WHERE thread = $thread ORDER BY n DESC LIMIT $min",
  "SELECT * FROM thread ORDER BY n LIMIT $min START $min",
  "SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS author FROM thread WHERE room = $room",
  "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id ORDER BY n DESC LIMIT 2) AS comments FROM thread ORDER BY n LIMIT 3",
  "SELECT id, (SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS author FROM comment WHERE thread = $parent.id AND n >= $min) AS comments, (SELECT * FROM user WHERE id = $parent.author)[0] AS author FROM thread WHERE room = $room",
  // Through record links: a user's change moves threads and comments that read it.
  "SELECT * FROM thread WHERE author.n > 1 OR author.room = $room",
  "SELECT * FROM comment WHERE thread.author.n = 2 ORDER BY n LIMIT 2",
  "SELECT *, (SELECT * FROM comment WHERE thread = $parent.id AND author.n >= $parent.author.n) AS comments FROM thread WHERE author.tags CONTAINS 'a'",
  // Records fetched through `link.*` are members (issue 23).
  "SELECT *, author.* AS a FROM thread WHERE n > 1",
  "SELECT *, thread.author.* AS ta, author.* AS a FROM comment ORDER BY n LIMIT 2",
  "SELECT *, (SELECT *, author.* AS a FROM comment WHERE thread = $parent.id LIMIT 2) AS comments FROM thread LIMIT 2",
  "SELECT *, (SELECT * FROM user WHERE n = $parent.thread.author.n) AS same FROM comment WHERE n >= 0 ORDER BY n LIMIT 2",
];

const PARAMS: { [name: string]: WireValue[] } = {
  room: ["r1", "r2"],
  thread: [{ $rid: "thread:1" }, { $rid: "thread:2" }],
  min: [0, 2],
};

const ids = {
  user: ["user:1", "user:2", "user:3"],
  thread: ["thread:1", "thread:2", "thread:3", "thread:a", "thread:⟨1⟩"],
  comment: ["comment:1", "comment:2", "comment:3", "comment:4", "comment:5"],
};

const scalar = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(null), fc.constantFrom("x", "2"), fc.boolean());
const link = (table: keyof typeof ids) => fc.constantFrom(...ids[table].map((id) => ({ $rid: id }) as WireValue));

function bodyFor(table: keyof typeof ids): fc.Arbitrary<{ [k: string]: WireValue }> {
  const common = {
    n: scalar,
    room: fc.constantFrom("r1", "r2"),
    tags: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 2 }),
  };
  const extra = table === "thread" ? { author: link("user") } : table === "comment" ? { thread: link("thread"), author: link("user") } : {};
  return fc.record({ ...common, ...extra }, { requiredKeys: [] }) as fc.Arbitrary<{ [k: string]: WireValue }>;
}

const change: fc.Arbitrary<RecordChange> = fc.constantFrom<keyof typeof ids>("user", "thread", "comment").chain((table) =>
  fc.record({
    op: fc.constantFrom("CREATE", "UPDATE", "DELETE", "update"),
    id: fc.constantFrom(...ids[table]),
    body: bodyFor(table),
  }),
);

type Step = { kind: "ingest"; changes: RecordChange[] } | { kind: "register"; view: number; query: number; pick: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.array(change, { minLength: 1, maxLength: 3 }).map((changes) => ({ kind: "ingest" as const, changes })) },
  {
    weight: 1,
    arbitrary: fc.record({ view: fc.nat(3), query: fc.nat(QUERIES.length - 1), pick: fc.nat(7) }).map((s) => ({ kind: "register" as const, ...s })),
  },
);

function specOf(view: number, query: number, pick: number): ViewSpec {
  const params: { [k: string]: WireValue } = {};
  let p = pick;
  for (const [name, values] of Object.entries(PARAMS)) {
    params[name] = values[p % values.length]!;
    p = Math.floor(p / values.length);
  }
  return { id: `v${view}`, surql: QUERIES[query]!, params, clientId: "c", ttlMs: 0, lastActiveAt: 0 };
}

/** Applies the circuit's own change semantics to a plain map, for evaluateView. */
function applyToModel(model: Map<string, { [k: string]: WireValue }>, c: RecordChange): void {
  if (c.op.toUpperCase() === "DELETE") model.delete(c.id);
  else model.set(c.id, c.body as { [k: string]: WireValue });
}

describe("incremental maintenance", () => {
  it("keeps every view's membership equal to a full evaluation after every step, with gap-free deltas", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const circuit = new Circuit();
        const model = new Map<string, { [k: string]: WireValue }>();
        const held = new Map<string, { seq: number; members: Map<string, number> }>();
        const specs = new Map<string, ViewSpec>();
        const applyDelta = (d: ViewDelta) => {
          const h = held.get(d.viewId)!;
          expect(d.sequence).toBe(h.seq + 1);
          expect(d.deltas.length).toBeGreaterThan(0);
          h.seq = d.sequence;
          for (const x of d.deltas) {
            if (x.event === "DELETED") {
              expect(h.members.has(x.id.text)).toBe(true);
              h.members.delete(x.id.text);
            } else {
              expect(h.members.has(x.id.text)).toBe(x.event === "UPDATED");
              if (x.event === "UPDATED") expect(h.members.get(x.id.text)).not.toBe(x.version);
              h.members.set(x.id.text, x.version);
            }
          }
        };
        for (const s of steps) {
          if (s.kind === "register") {
            const spec = specOf(s.view, s.query, s.pick);
            const r = circuit.registerView(spec);
            specs.set(spec.id, spec);
            if (r.replaced) applyDelta(r.replaced);
            else held.set(spec.id, { seq: r.view.sequence, members: new Map(r.view.members.map((m) => [m.id.text, m.version])) });
          } else {
            const result = circuit.ingest(s.changes);
            for (const c of s.changes) applyToModel(model, c);
            for (const d of result.views) applyDelta(d);
          }
          for (const spec of specs.values()) {
            const records = [...model].map(([id, body]) => ({ id, body }));
            const expected = evaluateView(spec, records).map((id) => id.text);
            const state = circuit.getView(spec.id)!;
            expect(state.members.map((m) => m.id.text), spec.surql).toEqual(expected);
            const h = held.get(spec.id)!;
            expect(state.sequence).toBe(h.seq);
            expect(new Map(state.members.map((m) => [m.id.text, m.version]))).toEqual(h.members);
          }
        }
      }),
      { numRuns: Number(process.env.CIRCUIT_PROPERTY_RUNS ?? 150) },
    );
  });
});

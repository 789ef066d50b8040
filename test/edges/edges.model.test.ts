/**
 * Random sequences of registrations, ingests, unregistrations and resets, fired
 * partly concurrently (so group commit merges them), against a model of what each
 * view's membership is, with stretches of failing transactions mixed in. After
 * each sequence (and the outbox drained) SurrealDB must hold exactly the model:
 * same (view, record, version, clientId), no duplicates, nothing extra.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordId } from "../../src/circuit/record-id.js";
import type { Delta, DeltaEvent } from "../../src/circuit/types.js";
import { byJson, member, openTestStore, readEdges, readViews, recordText, rid, spec, viewDelta, type TestStore } from "./fixtures.js";

const RECORDS: RecordId[] = [
  rid("user", 1),
  rid("user", "1"),
  rid("user", "a b"),
  rid("post", -7),
  rid("post", "x⟩y"),
  rid("weird table", "k"),
  rid("thread", 9007199254740991),
  rid("thread", "ünï"),
];
const VIEWS = ["v1", "v2", "v 3", "v'4"];
const CLIENTS = ["alice", "bob"];

type Command =
  | { kind: "register"; view: string; client: string; members: [number, number][]; withDelta: boolean }
  | { kind: "ingest"; changes: { view: string; record: number; roll: number }[] }
  | { kind: "unregister"; view: string }
  | { kind: "reset" }
  /** The next `n` round trips fail, as if the connection dropped. */
  | { kind: "fault"; n: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      view: fc.constantFrom(...VIEWS),
      client: fc.constantFrom(...CLIENTS),
      members: fc.uniqueArray(fc.tuple(fc.nat(RECORDS.length - 1), fc.integer({ min: 1, max: 5 })), { selector: ([r]) => r, maxLength: 6 }),
      withDelta: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("ingest" as const),
      changes: fc.array(fc.record({ view: fc.constantFrom(...VIEWS), record: fc.nat(RECORDS.length - 1), roll: fc.nat(9) }), { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unregister" as const), view: fc.constantFrom(...VIEWS) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fault" as const), n: fc.integer({ min: 1, max: 3 }) }) },
);

interface ModelView {
  client: string;
  members: Map<number, number>;
}

describe("edges equal the membership model", () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore();
  });
  afterAll(async () => {
    await t.cleanup();
  });

  it("after random sequences, concurrent or not, with faults", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(command, fc.boolean()), { maxLength: 25 }), async (steps) => {
        t.db.failNext = 0;
        await t.store.drained();
        await t.store.applyReset();
        const model = new Map<string, ModelView>();
        const inFlight: Promise<string>[] = [];
        for (const [cmd, wait] of steps) {
          const write = apply(t, model, cmd);
          if (write === undefined) continue;
          inFlight.push(write);
          if (wait) await write;
        }
        const statuses = await Promise.all(inFlight);
        if (!steps.some(([cmd]) => cmd.kind === "fault")) expect(statuses.every((s) => s === "committed")).toBe(true);
        await t.store.drained();
        expect(t.store.pending()).toBe(0);

        const expectedEdges = [...model].flatMap(([viewId, v]) =>
          [...v.members].map(([r, version]) => ({ viewId, record: recordText(RECORDS[r]!), version, clientId: v.client })),
        );
        expect(await readEdges(t.connection)).toEqual(expectedEdges.sort(byJson));
        expect((await readViews(t.connection)).map((v) => [v.viewId, v.clientId])).toEqual(
          [...model].map(([viewId, v]) => [viewId, v.client]).sort(byJson),
        );
      }),
      { numRuns: 100 },
    );
  });
});

/** Applies `cmd` to the model and sends the matching edge write (not awaited). */
function apply(t: TestStore, model: Map<string, ModelView>, cmd: Command): Promise<string> | undefined {
  switch (cmd.kind) {
    case "register": {
      const members = new Map(cmd.members);
      const old = model.get(cmd.view);
      model.set(cmd.view, { client: cmd.client, members });
      const viewSpec = spec(cmd.view, { clientId: cmd.client });
      const list = [...members].map(([r, v]) => member(RECORDS[r]!, v));
      if (old === undefined || !cmd.withDelta) return t.store.applyRegister(viewSpec, list);
      const deltas: [DeltaEvent, RecordId, number][] = [];
      for (const [r, v] of members) {
        const before = old.members.get(r);
        if (before === undefined) deltas.push(["CREATED", RECORDS[r]!, v]);
        else if (before !== v) deltas.push(["UPDATED", RECORDS[r]!, v]);
      }
      for (const [r, v] of old.members) if (!members.has(r)) deltas.push(["DELETED", RECORDS[r]!, v]);
      return t.store.applyRegister(viewSpec, list, viewDelta(cmd.view, cmd.client, deltas));
    }
    case "ingest": {
      const perView = new Map<string, Map<number, Delta>>();
      for (const { view, record, roll } of cmd.changes) {
        const v = model.get(view);
        if (v === undefined) continue;
        const deltas = perView.get(view) ?? new Map<number, Delta>();
        if (deltas.has(record)) continue; // at most one entry per record per view
        perView.set(view, deltas);
        const held = v.members.get(record);
        if (held === undefined) {
          v.members.set(record, 1 + (roll % 3));
          deltas.set(record, { event: "CREATED", id: RECORDS[record]!, version: 1 + (roll % 3) });
        } else if (roll < 5) {
          v.members.set(record, held + 1);
          deltas.set(record, { event: "UPDATED", id: RECORDS[record]!, version: held + 1 });
        } else {
          v.members.delete(record);
          deltas.set(record, { event: "DELETED", id: RECORDS[record]!, version: held });
        }
      }
      const views = [...perView].map(([view, deltas]) => ({ viewId: view, clientId: model.get(view)!.client, sequence: 1, deltas: [...deltas.values()] }));
      return t.store.applyIngest(views);
    }
    case "unregister":
      model.delete(cmd.view);
      return t.store.applyUnregister(cmd.view);
    case "reset":
      model.clear();
      return t.store.applyReset();
    case "fault":
      t.db.failNext = cmd.n;
      return undefined;
  }
}

/**
 * The hub over the real circuit, wired as the integrator wires it: random
 * ingests, re-registrations and reconnects, and a client that must end up
 * holding exactly each view's membership, versions and record bodies.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Circuit, type RecordChange, type ViewSpec } from "../../src/circuit/index.js";
import { DeltaHub, type ViewSource } from "../../src/streaming/index.js";
import { ClientModel } from "./support/client-model.js";

function sourceOf(circuit: Circuit): ViewSource {
  return {
    getView: (id) => circuit.getView(id),
    viewIdsOfClient: (clientId) => circuit.listViews(clientId).map((v) => v.spec.id),
    getRecord: (id) => circuit.getRecord(id),
  };
}

function roomView(id: string, room: string, clientId: string): ViewSpec {
  return { id, surql: "SELECT * FROM item WHERE room = $room", params: { room }, clientId, ttlMs: 60_000, lastActiveAt: 0 };
}

const TOP: ViewSpec = {
  id: "top",
  surql: "SELECT * FROM item ORDER BY score DESC LIMIT 3",
  params: {},
  clientId: "alice",
  ttlMs: 60_000,
  lastActiveAt: 0,
};

type Step =
  | { kind: "ingest"; changes: RecordChange[] }
  | { kind: "move"; room: string }
  | { kind: "read"; limit: number }
  | { kind: "reconnect" };

const change: fc.Arbitrary<RecordChange> = fc.oneof(
  fc.record({
    op: fc.constantFrom("CREATE", "UPDATE"),
    id: fc.nat(6).map((n) => `item:${n}`),
    body: fc.record({ room: fc.constantFrom("r0", "r1", "r2"), score: fc.nat(9) }),
  }),
  fc.record({ op: fc.constant("DELETE"), id: fc.nat(6).map((n) => `item:${n}`) }),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("ingest" as const), changes: fc.array(change, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("move" as const), room: fc.constantFrom("r0", "r1", "r2") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("read" as const), limit: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reconnect" as const }) },
);

describe("DeltaHub over the real circuit", () => {
  it("leaves a resuming client with each view's exact membership, versions and bodies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.integer({ min: 0, max: 8 }), async (steps, replayLogSize) => {
        const circuit = new Circuit();
        const hub = new DeltaHub(sourceOf(circuit), { replayLogSize, queueLimit: 10_000, heartbeatMs: 0 });
        const register = (spec: ViewSpec) => hub.viewRegistered(spec.id, spec.clientId, circuit.registerView(spec).replaced);
        register(roomView("room", "r0", "alice"));
        register(TOP);
        register(roomView("bobs", "r1", "bob"));

        const client = new ClientModel(hub, { clientId: "alice", includeRecords: true });
        client.connect();
        for (const s of steps) {
          if (s.kind === "ingest") hub.publish(circuit.ingest(s.changes).views);
          else if (s.kind === "move") register(roomView("room", s.room, "alice"));
          else if (s.kind === "read") await client.read(s.limit);
          else {
            client.disconnect();
            client.connect();
          }
        }
        await client.read();
        client.disconnect();

        expect([...client.views.keys()].sort()).toEqual(["room", "top"]);
        for (const [id, held] of client.views) {
          const view = circuit.getView(id)!;
          expect(held.sequence).toBe(view.sequence);
          expect(held.members).toEqual(new Map(view.members.map((m) => [m.id.text, m.version])));
          expect(held.bodies).toEqual(new Map(view.members.map((m) => [m.id.text, circuit.getRecord(m.id)!.body])));
        }
        expect(hub.streamCount()).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

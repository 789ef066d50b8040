import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ViewDelta } from "../../src/circuit/types.js";
import { ClientModel } from "./support/client-model.js";
import { createWorld, read, request, summarize, type World } from "./support/world.js";

function subscribeFrom(world: World, resume: Record<string, number>, viewIds = ["v"]) {
  return read(world.hub.subscribe(request({ viewIds, resume }), new AbortController().signal));
}

describe("DeltaHub: resume from a cursor", () => {
  it("sends exactly the deltas after the cursor, then new ones", async () => {
    const world = createWorld({ replayLogSize: 10 });
    world.register("v", "c", ["a:1"]);
    world.add("v", "a:2");
    world.add("v", "a:3");
    world.remove("v", "a:1");
    const reader = subscribeFrom(world, { v: 1 });
    world.put("a:2", { n: 2 });
    await reader.settle();
    expect(summarize(reader.take())).toEqual([
      "delta v@2 CREATED a:3=1",
      "delta v@3 DELETED a:1=1",
      "delta v@4 UPDATED a:2=2",
    ]);
  });

  it("sends nothing until the next delta when the cursor is current", async () => {
    const world = createWorld({ replayLogSize: 10 });
    world.register("v", "c", ["a:1"]);
    world.add("v", "a:2");
    const reader = subscribeFrom(world, { v: 1 });
    await reader.settle();
    expect(reader.take()).toEqual([]);
    world.add("v", "a:3");
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["delta v@2 CREATED a:3=1"]);
  });

  it("sends a reset snapshot when the cursor is older than the replay log", async () => {
    const world = createWorld({ replayLogSize: 2 });
    world.register("v", "c");
    for (let i = 1; i <= 5; i++) world.add("v", `a:${i}`);
    await subscribeFrom(world, { v: 3 }).settle().then((r) => {
      expect(summarize(r.take())).toEqual(["delta v@4 CREATED a:4=1", "delta v@5 CREATED a:5=1"]);
    });
    const reader = await subscribeFrom(world, { v: 2 }).settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@5 reset [a:1=1 a:2=1 a:3=1 a:4=1 a:5=1]"]);
  });

  it("sends a reset snapshot when the cursor is ahead of the view (another incarnation)", async () => {
    const world = createWorld({ replayLogSize: 10 });
    world.register("v", "c", ["a:1"]);
    const reader = await subscribeFrom(world, { v: 7 }).settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 reset [a:1=1]"]);
  });

  it("resumes from a snapshot when replay is disabled", async () => {
    const world = createWorld({ replayLogSize: 0 });
    world.register("v", "c");
    world.add("v", "a:1");
    world.add("v", "a:2");
    expect(summarize((await subscribeFrom(world, { v: 1 }).settle()).take())).toEqual(["snapshot v@2 reset [a:1=1 a:2=1]"]);
    expect((await subscribeFrom(world, { v: 2 }).settle()).take()).toEqual([]);
  });

  it("carries the bodies of publish time in replayed deltas", async () => {
    const world = createWorld({ replayLogSize: 10 });
    world.register("v", "c", ["a:1"]);
    world.put("a:1", { n: 2 });
    world.put("a:1", { n: 3 });
    const reader = await read(
      world.hub.subscribe(request({ viewIds: ["v"], resume: { v: 0 }, includeRecords: true }), new AbortController().signal),
    ).settle();
    const records = reader.take().map((m) => (m.kind === "delta" ? m.deltas[0]!.record : undefined));
    expect(records).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it("forgets a view's replay log when it is unregistered", async () => {
    const world = createWorld({ replayLogSize: 10 });
    world.register("v", "c", ["a:1"]);
    world.add("v", "a:2");
    world.unregister("v");
    world.register("v", "c", ["a:3"]);
    world.add("v", "a:4");
    const reader = await subscribeFrom(world, { v: 0 }).settle();
    expect(summarize(reader.take())).toEqual(["delta v@1 CREATED a:4=1"]);
  });
});

type Step =
  | { kind: "add"; view: number; record: number }
  | { kind: "remove"; view: number; record: number }
  | { kind: "put"; record: number }
  | { kind: "read"; limit: number }
  | { kind: "reconnect" };

const VIEWS = ["v0", "v1", "v2"];
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), view: fc.nat(2), record: fc.nat(5) }),
  fc.record({ kind: fc.constant("remove" as const), view: fc.nat(2), record: fc.nat(5) }),
  fc.record({ kind: fc.constant("put" as const), record: fc.nat(5) }),
  fc.record({ kind: fc.constant("read" as const), limit: fc.integer({ min: 1, max: 6 }) }),
  fc.constant({ kind: "reconnect" as const }),
);

async function run(world: World, client: ClientModel, steps: readonly Step[]): Promise<Map<string, string[]>> {
  const published = new Map<string, string[]>(VIEWS.map((v) => [v, []]));
  const note = (deltas: ViewDelta[]) => {
    for (const vd of deltas) {
      for (const d of vd.deltas) published.get(vd.viewId)!.push(`${vd.sequence} ${d.event} ${d.id.text}=${d.version}`);
    }
  };
  client.connect();
  for (const s of steps) {
    switch (s.kind) {
      case "add":
        note(world.add(VIEWS[s.view]!, `r:${s.record}`));
        break;
      case "remove":
        note(world.remove(VIEWS[s.view]!, `r:${s.record}`));
        break;
      case "put":
        note(world.put(`r:${s.record}`, { at: Math.random() }));
        break;
      case "read":
        await client.read(s.limit);
        break;
      case "reconnect":
        client.disconnect();
        client.connect();
        break;
    }
  }
  await client.read();
  client.disconnect();
  return published;
}

function setUp(replayLogSize: number): World {
  const world = createWorld({ replayLogSize, queueLimit: 10_000 });
  for (const id of VIEWS) world.register(id, "c");
  return world;
}

describe("DeltaHub: resume property", () => {
  it("delivers every published delta exactly once across random disconnects", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.boolean(), async (steps, byClient) => {
        const world = setUp(1_000);
        const client = new ClientModel(world.hub, byClient ? { clientId: "c" } : { viewIds: VIEWS });
        const published = await run(world, client, steps);
        for (const id of VIEWS) {
          const held = client.views.get(id)!;
          const after = published.get(id)!.filter((d) => Number(d.split(" ")[0]) > held.since);
          expect(held.deltas, id).toEqual(after);
          expect(held.sequence).toBe(world.circuit.getView(id)!.sequence);
        }
        expect(client.snapshots.every((s) => s.first && !s.reset)).toBe(true);
        expect(world.hub.streamCount()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it("converges to the view's state with a small replay log, every later snapshot marked reset", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), fc.nat(4), async (steps, logSize) => {
        const world = setUp(logSize);
        const client = new ClientModel(world.hub, { viewIds: VIEWS });
        await run(world, client, steps);
        for (const id of VIEWS) {
          const view = world.circuit.getView(id)!;
          const held = client.views.get(id)!;
          expect(held.sequence).toBe(view.sequence);
          expect(held.members).toEqual(new Map(view.members.map((m) => [m.id.text, m.version])));
        }
        expect(client.snapshots.filter((s) => !s.first).every((s) => s.reset)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

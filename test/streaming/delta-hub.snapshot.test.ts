import { describe, expect, it, vi } from "vitest";
import { InvalidWatchRequestError, ViewNotFoundError, type DeltaMessage, type SnapshotMessage } from "../../src/streaming/index.js";
import { createWorld, read, request, summarize } from "./support/world.js";

describe("DeltaHub: snapshot, then deltas", () => {
  it("sends each followed view's snapshot first, then every delta in order", async () => {
    const world = createWorld();
    world.register("v1", "c1", ["a:1", "a:2"]);
    world.register("v2", "c1", ["b:1"]);
    world.add("v1", "a:3");
    const reader = read(world.hub.subscribe(request({ viewIds: ["v1", "v2"] }), new AbortController().signal));

    world.put("a:1", { name: "changed" });
    world.remove("v1", "a:2");
    world.add("v2", "b:2");
    await reader.settle();

    expect(summarize(reader.take())).toEqual([
      "snapshot v1@1 [a:1=1 a:2=1 a:3=1]",
      "snapshot v2@0 [b:1=1]",
      "delta v1@2 UPDATED a:1=2",
      "delta v1@3 DELETED a:2=1",
      "delta v2@1 CREATED b:2=1",
    ]);
  });

  it("delivers nothing for views it does not follow", async () => {
    const world = createWorld();
    world.register("v1", "c1", ["a:1"]);
    world.register("v2", "c1", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ viewIds: ["v2"] }), new AbortController().signal));
    world.add("v1", "a:9");
    world.put("a:1", { n: 2 });
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v2@0 [a:1=1]", "delta v2@1 UPDATED a:1=2"]);
  });

  it("attaches bodies as of publish time to snapshots and CREATED/UPDATED deltas, never to DELETED", async () => {
    const world = createWorld();
    world.register("v1", "c1", ["a:1"]);
    world.put("a:1", { n: 1 });
    const stream = world.hub.subscribe(request({ viewIds: ["v1"], includeRecords: true }), new AbortController().signal);
    world.put("a:1", { n: 2 });
    world.add("v1", "a:2");
    world.remove("v1", "a:1");
    // A later update must not rewrite what was already published.
    world.put("a:2", { n: 99 });

    const reader = await read(stream).settle();
    const [snapshot, updated, created, deleted] = reader.take() as [SnapshotMessage, DeltaMessage, DeltaMessage, DeltaMessage];
    expect([...snapshot.records!]).toEqual([["a:1", { n: 1 }]]);
    expect(updated.deltas[0]!.record).toEqual({ n: 2 });
    expect(created.deltas[0]!.record).toEqual({ name: "a:2" });
    expect(deleted.deltas[0]!.event).toBe("DELETED");
    expect(deleted.deltas[0]!.record).toBeUndefined();
  });

  it("leaves bodies out when the stream did not ask for them", async () => {
    const world = createWorld();
    world.register("v1", "c1", ["a:1"]);
    const withBodies = read(world.hub.subscribe(request({ viewIds: ["v1"], includeRecords: true }), new AbortController().signal));
    const without = read(world.hub.subscribe(request({ viewIds: ["v1"] }), new AbortController().signal));
    world.put("a:1", { n: 2 });
    await without.settle();
    const [snapshot, delta] = without.take() as [SnapshotMessage, DeltaMessage];
    expect(snapshot.records).toBeUndefined();
    expect(delta.deltas[0]!.record).toBeUndefined();
    expect((withBodies.take()[1] as DeltaMessage).deltas[0]!.record).toEqual({ n: 2 });
  });

  it("rejects unknown view ids before streaming anything", () => {
    const world = createWorld();
    world.register("v1", "c1");
    const subscribe = () => world.hub.subscribe(request({ viewIds: ["v1", "nope", "gone"] }), new AbortController().signal);
    expect(subscribe).toThrow(ViewNotFoundError);
    expect(subscribe).toThrow(/"nope", "gone"/);
    try {
      subscribe();
    } catch (error) {
      expect((error as ViewNotFoundError).code).toBe("NOT_FOUND");
      expect((error as ViewNotFoundError).viewIds).toEqual(["nope", "gone"]);
    }
    expect(world.hub.streamCount()).toBe(0);
  });

  it("rejects a request that names nothing to follow, or a bad cursor", () => {
    const world = createWorld();
    world.register("v1", "c1");
    const signal = new AbortController().signal;
    expect(() => world.hub.subscribe(request({}), signal)).toThrow(InvalidWatchRequestError);
    expect(() => world.hub.subscribe(request({ clientId: "" }), signal)).toThrow(/view ids, a client id/);
    expect(() => world.hub.subscribe(request({ viewIds: ["v1"], resume: { v1: -1 } }), signal)).toThrow(/non-negative integer/);
    expect(() => world.hub.subscribe(request({ viewIds: ["v1"], resume: { v1: 1.5 } }), signal)).toThrow(InvalidWatchRequestError);
    expect(world.hub.streamCount()).toBe(0);
  });

  it("drops a delta the snapshot already holds (a publish that lags the circuit)", async () => {
    const world = createWorld();
    world.register("v1", "c1", ["a:1"]);
    // The mutation reaches the circuit, a stream opens, and only then is the delta published.
    const lagging = world.circuit.add("v1", "a:2");
    const reader = read(world.hub.subscribe(request({ viewIds: ["v1"] }), new AbortController().signal));
    world.hub.publish(lagging);
    world.add("v1", "a:3");
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v1@1 [a:1=1 a:2=1]", "delta v1@2 CREATED a:3=1"]);
  });

  it("replaces a stream's state with a reset snapshot when a publish was skipped", async () => {
    const world = createWorld();
    world.register("v1", "c1", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ viewIds: ["v1"] }), new AbortController().signal));
    world.circuit.add("v1", "a:2"); // never published
    world.add("v1", "a:3");
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v1@0 [a:1=1]", "snapshot v1@2 reset [a:1=1 a:2=1 a:3=1]"]);
  });
});

describe("DeltaHub: reading record bodies", () => {
  it("reads each body once per mutation, however many views and streams want it", async () => {
    const world = createWorld();
    const views = ["v1", "v2", "v3"];
    for (const id of views) world.register(id, "c", ["a:1"]);
    const readers = Array.from({ length: 5 }, () =>
      read(world.hub.subscribe(request({ clientId: "c", includeRecords: true }), new AbortController().signal)),
    );
    const getRecord = vi.spyOn(world.circuit, "getRecord");

    world.put("a:1", { n: 2 });
    expect(getRecord).toHaveBeenCalledTimes(1);

    getRecord.mockClear();
    world.register("v4", "c", ["a:1", "a:2"]);
    expect(getRecord).toHaveBeenCalledTimes(2);

    await readers[0]!.settle();
    for (const reader of readers) expect(reader.take()).toHaveLength(3 + 3 + 1);
  });
});

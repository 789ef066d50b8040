import { describe, expect, it } from "vitest";
import { createWorld, read, request, summarize } from "./support/world.js";

describe("DeltaHub: client-id streams", () => {
  it("follows only its client's views", async () => {
    const world = createWorld();
    world.register("mine", "alice", ["a:1"]);
    world.register("theirs", "bob", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ clientId: "alice" }), new AbortController().signal));
    world.put("a:1", { n: 2 });
    world.add("theirs", "a:2");
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot mine@0 [a:1=1]", "delta mine@1 UPDATED a:1=2"]);
  });

  it("picks up a view registered later: its snapshot first, then its deltas", async () => {
    const world = createWorld();
    world.register("first", "alice", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ clientId: "alice" }), new AbortController().signal));
    world.register("later", "alice", ["a:1", "a:2"]);
    world.register("bobs", "bob", ["a:2"]);
    world.put("a:2", { n: 2 });
    await reader.settle();
    expect(summarize(reader.take())).toEqual([
      "snapshot first@0 [a:1=1]",
      "snapshot later@0 [a:1=1 a:2=1]",
      "delta later@1 UPDATED a:2=2",
    ]);
  });

  it("starts with an empty snapshot list for a client with no views yet", async () => {
    const world = createWorld();
    const reader = read(world.hub.subscribe(request({ clientId: "alice" }), new AbortController().signal));
    await reader.settle();
    expect(reader.take()).toEqual([]);
    world.register("v", "alice", ["a:1"]);
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]"]);
  });

  it("gets a re-registered view's membership change as one delta, not a new snapshot", async () => {
    const world = createWorld();
    world.register("v", "alice", ["a:1", "a:2"]);
    const reader = read(world.hub.subscribe(request({ clientId: "alice" }), new AbortController().signal));
    world.register("v", "alice", ["a:2", "a:3"]);
    await reader.settle();
    expect(summarize(reader.take())).toEqual([
      "snapshot v@0 [a:1=1 a:2=1]",
      "delta v@1 DELETED a:1=1, CREATED a:3=1",
    ]);
  });

  it("closes a view that moves to another client, for that client's streams only", async () => {
    const world = createWorld();
    world.register("v", "alice", ["a:1"]);
    const alice = read(world.hub.subscribe(request({ clientId: "alice" }), new AbortController().signal));
    const bob = read(world.hub.subscribe(request({ clientId: "bob" }), new AbortController().signal));
    const byId = read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    world.register("v", "bob", ["a:1", "a:2"]);
    world.put("a:1", { n: 2 });
    await alice.settle();
    expect(summarize(alice.take())).toEqual(["snapshot v@0 [a:1=1]", "closed v@0"]);
    expect(summarize(bob.take())).toEqual(["snapshot v@1 [a:1=1 a:2=1]", "delta v@2 UPDATED a:1=2"]);
    expect(summarize(byId.take())).toEqual([
      "snapshot v@0 [a:1=1]",
      "delta v@1 CREATED a:2=1",
      "delta v@2 UPDATED a:1=2",
    ]);
    expect(alice.done).toBe(false);
  });

  it("follows the union of named views and the client's views, each once", async () => {
    const world = createWorld();
    world.register("mine", "alice", ["a:1"]);
    world.register("shared", "bob", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ clientId: "alice", viewIds: ["shared", "mine"] }), new AbortController().signal));
    world.put("a:1", { n: 2 });
    await reader.settle();
    expect(summarize(reader.take())).toEqual([
      "snapshot shared@0 [a:1=1]",
      "snapshot mine@0 [a:1=1]",
      "delta mine@1 UPDATED a:1=2",
      "delta shared@1 UPDATED a:1=2",
    ]);
  });
});

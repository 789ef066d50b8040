/**
 * The hub delivers nothing before its journal position is durable: each message
 * waits in its stream until durable(position) covers it, in journal order across
 * deltas, snapshots, "closed" and resets; cursors of another incarnation get a
 * reset snapshot; a halted hub ends every stream.
 */
import { describe, expect, it } from "vitest";
import { ResetError } from "../../src/streaming/index.js";
import { createWorld, read, request, summarize } from "./support/world.js";

const signal = () => new AbortController().signal;

describe("DeltaHub: delivery waits for durability", () => {
  it("holds every message until its position is durable, and keeps journal order", async () => {
    const { circuit, hub } = createWorld();
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]), 1);
    hub.durable(1);
    const reader = read(hub.subscribe(request({ clientId: "c" }), signal(), 1));
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]"]);

    hub.publish(circuit.add("v", "a:2"), 2);
    hub.viewRegistered("w", "c", circuit.register("w", "c", ["b:1"]), 3);
    hub.viewUnregistered("v", circuit.unregister("v"), 4);
    await reader.settle();
    expect(reader.take()).toEqual([]);

    hub.durable(2);
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["delta v@1 CREATED a:2=1"]);
    hub.durable(4);
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot w@0 [b:1=1]", "closed v@1"]);
  });

  it("holds a new stream's snapshot at the position it was taken, and replays held deltas to a resumed one", async () => {
    const { circuit, hub } = createWorld();
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]), 1);
    hub.durable(1);
    hub.publish(circuit.add("v", "a:2"), 2);
    const fresh = read(hub.subscribe(request({ viewIds: ["v"] }), signal(), 2));
    const resumed = read(hub.subscribe(request({ viewIds: ["v"], resume: { v: 0 } }), signal(), 2));
    await fresh.settle();
    expect([fresh.take(), resumed.take()]).toEqual([[], []]);
    hub.durable(2);
    await fresh.settle();
    expect(summarize(fresh.take())).toEqual(["snapshot v@1 [a:1=1 a:2=1]"]);
    expect(summarize(resumed.take())).toEqual(["delta v@1 CREATED a:2=1"]);
  });

  it("ends streams for a reset only once it is durable, after what came before it", async () => {
    const { circuit, hub } = createWorld();
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]), 1);
    hub.durable(1);
    const reader = read(hub.subscribe(request({ viewIds: ["v"] }), signal(), 1));
    hub.publish(circuit.add("v", "a:2"), 2);
    hub.reset(3);
    hub.durable(2);
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]", "delta v@1 CREATED a:2=1"]);
    expect([reader.done, reader.error]).toEqual([false, undefined]);
    hub.durable(3);
    await reader.settle();
    expect(reader.error).toBeInstanceOf(ResetError);
  });

  it("gives cursors of another incarnation a reset snapshot carrying the current one", async () => {
    const { circuit, hub } = createWorld({ incarnation: "now" });
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]));
    hub.publish(circuit.add("v", "a:2"));
    const other = read(hub.subscribe({ ...request({ viewIds: ["v"], resume: { v: 1 } }), incarnation: "before" }, signal()));
    const same = read(hub.subscribe({ ...request({ viewIds: ["v"], resume: { v: 0 } }), incarnation: "now" }, signal()));
    const unsaid = read(hub.subscribe(request({ viewIds: ["v"], resume: { v: 1 } }), signal()));
    await other.settle();
    expect(other.take()).toEqual([{ kind: "snapshot", viewId: "v", sequence: 1, members: expect.any(Array), reset: true, incarnation: "now" }]);
    expect(summarize(same.take())).toEqual(["delta v@1 CREATED a:2=1"]);
    expect(unsaid.take()).toEqual([]);
  });

  it("ends every stream and refuses new ones once halted", async () => {
    const { circuit, hub } = createWorld();
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]));
    const reader = read(hub.subscribe(request({ viewIds: ["v"] }), signal()));
    hub.publish(circuit.add("v", "a:2"), 5);
    await reader.settle();
    const halted = Object.assign(new Error("journal failed"), { code: "UNAVAILABLE" });
    hub.halt(halted);
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]"]);
    expect(reader.error).toBe(halted);
    expect(() => hub.subscribe(request({ viewIds: ["v"] }), signal())).toThrow(halted);
  });

  it("delivers held messages once durable after close(), then ends", async () => {
    const { circuit, hub } = createWorld();
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]));
    const reader = read(hub.subscribe(request({ viewIds: ["v"] }), signal()));
    hub.publish(circuit.add("v", "a:2"), 1);
    hub.close();
    await reader.settle();
    expect([summarize(reader.take()), reader.done]).toEqual([["snapshot v@0 [a:1=1]"], false]);
    hub.durable(1);
    await reader.settle();
    expect([summarize(reader.take()), reader.done]).toEqual([["delta v@1 CREATED a:2=1"], true]);
  });

  it("ends a closed stream still waiting for durability when the hub halts", async () => {
    const { circuit, hub } = createWorld();
    hub.viewRegistered("v", "c", circuit.register("v", "c", ["a:1"]));
    const reader = read(hub.subscribe(request({ viewIds: ["v"] }), signal()));
    hub.publish(circuit.add("v", "a:2"), 1);
    hub.close();
    await reader.settle();
    const halted = new Error("journal failed");
    hub.halt(halted);
    await reader.settle();
    expect([summarize(reader.take()), reader.error]).toEqual([["snapshot v@0 [a:1=1]"], halted]);
  });
});

import { describe, expect, it } from "vitest";
import { HubClosedError, ResetError } from "../../src/streaming/index.js";
import { createWorld, read, request, summarize } from "./support/world.js";

describe("DeltaHub: how streams end", () => {
  it("sends 'closed' when a followed view is unregistered and keeps the others going", async () => {
    const world = createWorld();
    world.register("gone", "c", ["a:1"]);
    world.register("kept", "c", ["a:1"]);
    world.add("gone", "a:2");
    const reader = read(world.hub.subscribe(request({ viewIds: ["gone", "kept"] }), new AbortController().signal));
    world.unregister("gone");
    world.put("a:1", { n: 2 });
    await reader.settle();
    expect(summarize(reader.take())).toEqual([
      "snapshot gone@1 [a:1=1 a:2=1]",
      "snapshot kept@0 [a:1=1]",
      "closed gone@1",
      "delta kept@1 UPDATED a:1=2",
    ]);
    expect(reader.done).toBe(false);
  });

  it("ends a stream of named views once the last of them is unregistered", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    world.unregister("v");
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]", "closed v@0"]);
    expect(reader.done).toBe(true);
    expect(reader.error).toBeUndefined();
    expect(world.hub.streamCount()).toBe(0);
  });

  it("keeps a client-id stream open after its last view goes, for views to come", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const reader = read(world.hub.subscribe(request({ clientId: "c" }), new AbortController().signal));
    world.unregister("v");
    world.register("w", "c", ["a:2"]);
    await reader.settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]", "closed v@0", "snapshot w@0 [a:2=1]"]);
    expect(reader.done).toBe(false);
  });

  it("ends every stream with a ResetError on reset, and serves new streams after", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const readers = [
      read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal)),
      read(world.hub.subscribe(request({ clientId: "c" }), new AbortController().signal)),
    ];
    world.hub.reset();
    await readers[0]!.settle();
    for (const reader of readers) {
      expect(reader.error).toBeInstanceOf(ResetError);
      expect((reader.error as ResetError).code).toBe("ABORTED");
    }
    expect(world.hub.streamCount()).toBe(0);

    world.circuit.unregister("v");
    world.register("v", "c", ["a:2"]);
    const after = await read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal)).settle();
    expect(summarize(after.take())).toEqual(["snapshot v@0 [a:2=1]"]);
  });

  it("on close, delivers what is queued, ends every stream cleanly and refuses new ones", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const stream = world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal);
    world.add("v", "a:2");
    world.hub.close();
    expect(world.hub.streamCount()).toBe(0);
    const reader = await read(stream).settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]", "delta v@1 CREATED a:2=1"]);
    expect(reader.done).toBe(true);
    expect(reader.error).toBeUndefined();
    const again = () => world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal);
    expect(again).toThrow(HubClosedError);
    expect(again).toThrow(expect.objectContaining({ code: "UNAVAILABLE" }));
  });

  it("removes the stream when its signal aborts, waking a waiting consumer", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const abort = new AbortController();
    const stream = world.hub.subscribe(request({ viewIds: ["v"], clientId: "c" }), abort.signal);
    await stream.next();
    const waiting = stream.next();
    abort.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(world.hub.streamCount()).toBe(0);
    world.add("v", "a:2");
    world.register("w", "c");
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("opens nothing for an already aborted signal", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const stream = world.hub.subscribe(request({ viewIds: ["v"] }), AbortSignal.abort());
    expect(world.hub.streamCount()).toBe(0);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it("removes the stream when the consumer stops iterating", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    world.add("v", "a:2");
    const abort = new AbortController();
    for await (const message of world.hub.subscribe(request({ viewIds: ["v"], resume: { v: 0 } }), abort.signal)) {
      expect(message.kind).toBe("delta");
      break;
    }
    expect(world.hub.streamCount()).toBe(0);
  });
});

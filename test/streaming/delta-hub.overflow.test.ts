import { afterEach, describe, expect, it, vi } from "vitest";
import { StreamOverflowError } from "../../src/streaming/index.js";
import { Subscriber } from "../../src/streaming/subscriber.js";
import { createWorld, read, request, summarize } from "./support/world.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("DeltaHub: a slow consumer", () => {
  it("is cut off with the cursors it reached, while other streams go on", async () => {
    const world = createWorld({ queueLimit: 3 });
    world.register("v", "c", ["a:1"]);
    const stalled = world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal);
    const healthy = read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    // The stalled consumer takes the snapshot and one delta, then stops reading.
    world.add("v", "a:2");
    await stalled.next();
    await stalled.next();
    // A burst of four: the stalled stream overflows its queue of three; the healthy
    // consumer is waiting, so it takes the first at once and queues three.
    for (let i = 3; i <= 6; i++) world.add("v", `a:${i}`);

    expect(world.hub.streamCount()).toBe(1);
    const error = await stalled.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StreamOverflowError);
    expect((error as StreamOverflowError).code).toBe("RESOURCE_EXHAUSTED");
    expect((error as StreamOverflowError).lastSequences).toEqual(new Map([["v", 1]]));
    expect((error as Error).message).toMatch(/more than 3 messages behind; resume from \{v=1\}/);
    expect(await stalled.next()).toEqual({ value: undefined, done: true });

    await healthy.settle();
    expect(healthy.take()).toHaveLength(6);
    expect(healthy.error).toBeUndefined();

    // Resuming from the error's cursors continues exactly where the consumer stopped.
    const resumed = await read(
      world.hub.subscribe(request({ viewIds: ["v"], resumeFrom: (error as StreamOverflowError).lastSequences }), new AbortController().signal),
    ).settle();
    expect(summarize(resumed.take()).map((m) => m.split(" ")[1])).toEqual(["v@2", "v@3", "v@4", "v@5"]);
  });

  it("is never touched by publish again once cut off", () => {
    const world = createWorld({ queueLimit: 2 });
    world.register("v", "c", ["a:1"]);
    world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal);
    const offer = vi.spyOn(Subscriber.prototype, "offer");
    for (let i = 2; i <= 10; i++) world.add("v", `a:${i}`);
    // Two fit in the queue, the third overflows it; after that the stream is gone.
    expect(offer).toHaveBeenCalledTimes(3);
    expect(world.hub.streamCount()).toBe(0);
  });

  it("does not count its opening snapshots toward the limit", async () => {
    const world = createWorld({ queueLimit: 2 });
    const views = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of views) world.register(id, "c", ["a:1"]);
    const stream = world.hub.subscribe(request({ clientId: "c" }), new AbortController().signal);
    world.add("v0", "a:2");
    world.add("v0", "a:3");
    expect(world.hub.streamCount()).toBe(1);
    world.add("v0", "a:4");
    expect(world.hub.streamCount()).toBe(0);
    const error = await stream.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamOverflowError);
    expect((error as StreamOverflowError).lastSequences.size).toBe(0);
  });

  it("never overflows while its consumer keeps up", async () => {
    const world = createWorld({ queueLimit: 1 });
    world.register("v", "c");
    const reader = read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    for (let i = 1; i <= 200; i++) {
      world.add("v", `a:${i}`);
      await reader.settle();
    }
    expect(reader.error).toBeUndefined();
    expect(reader.take()).toHaveLength(201);
  });
});

/**
 * Owner-scoped streams (a subscriber token's): refused before anything is
 * queued when they reach beyond their client, closed for a view that changes
 * hands, and ended at `endsAt` with the cursors of what the consumer took.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StreamExpiredError, WatchPermissionError } from "../../src/streaming/index.js";
import { createWorld, read, request, summarize } from "./support/world.js";

describe("DeltaHub: owner-scoped streams", () => {
  it("refuses another client's view, an unknown view and another client id alike, following nothing", () => {
    const world = createWorld();
    world.register("mine", "alice", ["a:1"]);
    world.register("theirs", "bob", ["b:1"]);
    const attempts = [
      request({ viewIds: ["mine", "theirs"], owner: "alice" }),
      request({ viewIds: ["nowhere"], owner: "alice" }),
      request({ clientId: "bob", owner: "alice" }),
    ];
    for (const attempt of attempts) {
      expect(() => world.hub.subscribe(attempt, new AbortController().signal)).toThrow(WatchPermissionError);
    }
    expect(world.hub.streamCount()).toBe(0);
  });

  it("closes a named view re-registered for another client before that client's members reach it", async () => {
    const world = createWorld();
    world.register("v", "alice", ["a:1"]);
    const scoped = read(world.hub.subscribe(request({ viewIds: ["v"], owner: "alice" }), new AbortController().signal));
    const unscoped = read(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    world.register("v", "bob", ["b:1"]);
    world.add("v", "b:2");
    await scoped.settle();
    await unscoped.settle();
    expect(summarize(scoped.take())).toEqual(["snapshot v@0 [a:1=1]", "closed v@0"]);
    // A service stream that named the view keeps following it, as before.
    expect(summarize(unscoped.take()).at(-1)).toMatch(/^delta v@\d+ CREATED b:2=1$/);
  });
});

describe("DeltaHub: streams with an end time", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends at endsAt with the cursors the consumer reached, and not before", async () => {
    const world = createWorld();
    world.register("v", "alice", ["a:1"]);
    const stream = read(world.hub.subscribe(request({ viewIds: ["v"], owner: "alice", endsAt: 1_005_000 }), new AbortController().signal));
    world.add("v", "a:2");
    await vi.advanceTimersByTimeAsync(4_999);
    expect(stream.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stream.error).toBeInstanceOf(StreamExpiredError);
    expect((stream.error as StreamExpiredError).code).toBe("UNAUTHENTICATED");
    expect((stream.error as StreamExpiredError).lastSequences).toEqual(new Map([["v", 1]]));
    expect(world.hub.streamCount()).toBe(0);
  });

  it("reaches an end time beyond setTimeout's range in steps instead of at once", async () => {
    const world = createWorld();
    world.register("v", "alice", ["a:1"]);
    const thirtyDays = 30 * 24 * 3600 * 1000;
    const stream = read(world.hub.subscribe(request({ viewIds: ["v"], endsAt: 1_000_000 + thirtyDays }), new AbortController().signal));
    await vi.advanceTimersByTimeAsync(thirtyDays - 1);
    expect(stream.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(stream.error).toBeInstanceOf(StreamExpiredError);
  });
});

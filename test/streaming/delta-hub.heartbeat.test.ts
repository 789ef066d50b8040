import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WatchMessage } from "../../src/streaming/index.js";
import { createWorld, request } from "./support/world.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Reads a stream in the background; under fake timers, advancing time lets it run. */
function collect(stream: AsyncIterable<WatchMessage>): WatchMessage[] {
  const messages: WatchMessage[] = [];
  void (async () => {
    for await (const message of stream) messages.push(message);
  })();
  return messages;
}

const kinds = (messages: WatchMessage[]) => messages.map((m) => m.kind);

describe("DeltaHub: heartbeats", () => {
  it("sends one per interval on an idle stream, stamped with the time", async () => {
    const world = createWorld({ heartbeatMs: 1_000 });
    world.register("v", "c", ["a:1"]);
    const messages = collect(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    await vi.advanceTimersByTimeAsync(999);
    expect(kinds(messages)).toEqual(["snapshot"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(messages[1]).toEqual({ kind: "heartbeat", at: 1_001_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(kinds(messages)).toEqual(["snapshot", "heartbeat", "heartbeat", "heartbeat", "heartbeat"]);
  });

  it("sends none while messages flow, and resumes a full interval after the last one", async () => {
    const world = createWorld({ heartbeatMs: 1_000 });
    world.register("v", "c");
    const messages = collect(world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal));
    for (let i = 1; i <= 10; i++) {
      await vi.advanceTimersByTimeAsync(600);
      world.add("v", `a:${i}`);
    }
    expect(kinds(messages).filter((k) => k === "heartbeat")).toEqual([]);
    await vi.advanceTimersByTimeAsync(999);
    expect(messages.at(-1)?.kind).toBe("delta");
    await vi.advanceTimersByTimeAsync(1);
    expect(messages.at(-1)?.kind).toBe("heartbeat");
  });

  it("sends none to a consumer that is behind, and stops with the stream", async () => {
    const world = createWorld({ heartbeatMs: 1_000 });
    world.register("v", "c", ["a:1"]);
    const abort = new AbortController();
    const stream = world.hub.subscribe(request({ viewIds: ["v"] }), abort.signal);
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await stream.next()).value?.kind).toBe("snapshot");
    // No heartbeat was queued behind the unread snapshot…
    let second: IteratorResult<WatchMessage> | undefined;
    void stream.next().then((result) => (second = result));
    await vi.advanceTimersByTimeAsync(0);
    expect(second).toBeUndefined();
    // …and once caught up, the consumer gets one at the next check.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(second?.value?.kind).toBe("heartbeat");
    abort.abort();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("uses no timer when heartbeats are off", () => {
    const world = createWorld({ heartbeatMs: 0 });
    world.register("v", "c");
    world.hub.subscribe(request({ viewIds: ["v"] }), new AbortController().signal);
    expect(vi.getTimerCount()).toBe(0);
  });
});

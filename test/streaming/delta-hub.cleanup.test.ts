import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Subscriber } from "../../src/streaming/subscriber.js";
import { createWorld, request } from "./support/world.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("DeltaHub: ended streams leave nothing behind", () => {
  it("however they end: abort, return, overflow, last view closed, reset", async () => {
    const world = createWorld({ queueLimit: 1, heartbeatMs: 1_000 });
    for (let i = 0; i < 10; i++) world.register(`v${i}`, "c", ["a:1"]);
    const signals: AbortSignal[] = [];
    const open = (viewIds: string[], clientId?: string) => {
      const abort = new AbortController();
      signals.push(abort.signal);
      return { abort, stream: world.hub.subscribe(request({ viewIds, clientId }), abort.signal) };
    };

    const aborted = Array.from({ length: 200 }, (_, i) => open([`v${i % 10}`], "c"));
    for (const { abort } of aborted) abort.abort();
    const returned = Array.from({ length: 200 }, (_, i) => open([`v${i % 10}`]));
    for (const { stream } of returned) await stream.return!();
    Array.from({ length: 200 }, () => open(["v0"], "c")); // overflow below
    Array.from({ length: 200 }, () => open(["v9"])); // closed below
    world.add("v0", "a:2");
    world.add("v0", "a:3");
    world.unregister("v9");
    Array.from({ length: 200 }, (_, i) => open([`v${i % 9}`], "c"));
    world.hub.reset();

    expect(world.hub.streamCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(signals.every((signal) => getEventListeners(signal, "abort").length === 0)).toBe(true);

    // Nothing indexed is left: publishing and registering reach no stream.
    const offer = vi.spyOn(Subscriber.prototype, "offer");
    const snapshot = vi.spyOn(Subscriber.prototype, "snapshot");
    for (let i = 0; i < 9; i++) world.add(`v${i}`, "a:9");
    world.register("new", "c", ["a:1"]);
    expect(offer).not.toHaveBeenCalled();
    expect(snapshot).not.toHaveBeenCalled();
  });
});

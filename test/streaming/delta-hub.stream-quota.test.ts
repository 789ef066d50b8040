/**
 * Which clients a stream counts against (stream-quota.ts): its owner and its
 * client id, each once; the views it names only in all. A refused open takes nothing, and every way
 * a stream ends gives its slots back.
 */
import { describe, expect, it } from "vitest";
import { StreamQuotaError, ViewNotFoundError } from "../../src/streaming/index.js";
import { createWorld, request } from "./support/world.js";

const signal = () => new AbortController().signal;

describe("DeltaHub: stream quotas", () => {
  it("counts a stream against its owner and its client id, and the views it names only in all", () => {
    const world = createWorld({ quotas: { maxStreams: 10, maxStreamsPerClient: 1 } });
    world.register("a", "alice", ["a:1"]);
    world.register("b", "bob", ["b:1"]);
    world.register("anon", "", ["n:1"]);
    world.hub.subscribe(request({ viewIds: ["a", "b"] }), signal());
    expect([world.hub.quotaCount("alice"), world.hub.quotaCount("bob"), world.hub.quotaCount()]).toEqual([0, 0, 1]);
    world.hub.subscribe(request({ clientId: "alice" }), signal());
    expect(world.hub.quotaCount("alice")).toBe(1);
    // A subscriber token's stream counts against its owner, whatever it names; a client id, with or without views.
    for (const attempt of [request({ clientId: "alice" }), request({ viewIds: ["a"], owner: "alice" }), request({ clientId: "alice", viewIds: ["b"] })]) {
      expect(() => world.hub.subscribe(attempt, signal())).toThrow(StreamQuotaError);
    }
    // Naming a view of a full client is not opening that client's stream.
    world.hub.subscribe(request({ viewIds: ["a"] }), signal());
    world.hub.subscribe(request({ viewIds: ["anon"] }), signal());
    expect([world.hub.quotaCount("alice"), world.hub.quotaCount()]).toEqual([1, 4]);
    expect(world.hub.streamCount()).toBe(4);
  });

  it("takes no slot for a refused open, and gives slots back however the stream ends", async () => {
    const world = createWorld({ quotas: { maxStreams: 1, maxStreamsPerClient: 1 } });
    world.register("a", "alice", ["a:1"]);
    expect(() => world.hub.subscribe(request({ viewIds: ["a", "nowhere"] }), signal())).toThrow(ViewNotFoundError);
    expect(world.hub.quotaCount()).toBe(0);

    const aborted = new AbortController();
    aborted.abort();
    world.hub.subscribe(request({ clientId: "alice" }), aborted.signal);
    expect(world.hub.quotaCount()).toBe(0);

    const abort = new AbortController();
    world.hub.subscribe(request({ clientId: "alice" }), abort.signal);
    expect(() => world.hub.subscribe(request({ clientId: "bob" }), signal())).toThrow(/1 WatchDeltas streams are open, the most this service allows \(SSP_MAX_STREAMS\)/);
    abort.abort();
    expect(world.hub.quotaCount("alice")).toBe(0);

    const stream = world.hub.subscribe(request({ clientId: "alice" }), signal());
    await stream.return?.();
    expect(world.hub.quotaCount()).toBe(0);
    world.hub.subscribe(request({ clientId: "alice" }), signal());
    world.unregister("a");
    world.hub.reset();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(world.hub.quotaCount()).toBe(0);
  });
});

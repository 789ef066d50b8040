import { afterEach, describe, expect, it, vi } from "vitest";
import { Subscriber } from "../../src/streaming/subscriber.js";
import { createWorld, read, request, type Reader, type World } from "./support/world.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** A world with `streams` streams, stream i following view v{i}, plus one following "hot". */
function crowded(streams: number): { world: World; hot: Reader } {
  const world = createWorld({ replayLogSize: 16, queueLimit: 100_000 });
  world.register("hot", "c", []);
  for (let i = 0; i < streams; i++) {
    world.register(`v${i}`, `c${i}`, ["a:1"]);
    world.hub.subscribe(request({ viewIds: [`v${i}`] }), new AbortController().signal);
  }
  const hot = read(world.hub.subscribe(request({ viewIds: ["hot"] }), new AbortController().signal));
  return { world, hot };
}

/** Milliseconds spent inside publish for 1,000 deltas to "hot" (built beforehand, so only the hub is timed). */
async function publishCost(world: World, hot: Reader, round: number): Promise<number> {
  const deltas = Array.from({ length: 1_000 }, (_, i) => world.circuit.add("hot", `h:${round}_${i}`)).flat();
  let spent = 0;
  for (let i = 0; i < deltas.length; i += 100) {
    const batch = deltas.slice(i, i + 100);
    const start = performance.now();
    world.hub.publish(batch);
    spent += performance.now() - start;
    await hot.settle();
    hot.take();
  }
  return spent;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe("DeltaHub at 1,000 streams", () => {
  it("offers a delta only to the streams that follow its view", () => {
    const { world } = crowded(1_000);
    const shared = Array.from({ length: 1_000 }, () =>
      world.hub.subscribe(request({ clientId: "fans" }), new AbortController().signal),
    );
    world.register("shared", "fans", ["s:1"]);
    const offer = vi.spyOn(Subscriber.prototype, "offer");

    world.add("v7", "a:2");
    expect(offer).toHaveBeenCalledTimes(1);
    world.add("hot", "h:1");
    expect(offer).toHaveBeenCalledTimes(2);
    world.add("shared", "s:2");
    expect(offer).toHaveBeenCalledTimes(2 + shared.length);
    expect(world.hub.streamCount()).toBe(2_001);
  });

  it("publishes to one stream as fast with 1,000 idle streams around as with none", async () => {
    const lone = crowded(0);
    const busy = crowded(1_000);
    // Rounds alternate between the two hubs, and medians compare: the machine is shared.
    const alone: number[] = [];
    const crowd: number[] = [];
    for (let round = 0; round < 21; round++) {
      alone.push(await publishCost(lone.world, lone.hot, round));
      crowd.push(await publishCost(busy.world, busy.hot, round));
    }
    expect(lone.hot.error ?? busy.hot.error).toBeUndefined();
    expect(median(crowd) / median(alone)).toBeLessThan(3);
  });
});

/**
 * Publish-to-delivery latency with 1,000 open streams, in process: from the
 * moment publish() is called to the moment each stream's consumer (a for-await
 * loop, as in the server's handler) holds the delta. The DESIGN target is
 * p99 ≤ 50 ms end to end; the hub's share must be a small part of that.
 *
 * The tests assert the median, which a broken hub (one that waited on a timer or
 * scanned every stream) would blow, while a busy shared machine does not; the
 * tail is printed, as it mostly measures how often the OS preempts the process.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { ViewDelta } from "../../src/circuit/types.js";
import type { WatchMessage } from "../../src/streaming/index.js";
import { createWorld, request, type World } from "./support/world.js";

const STREAMS = 1_000;
const ROUNDS = 200;

/** Preallocated, so that recording allocates nothing and adds no GC pauses of its own. */
class Samples {
  private readonly values: Float64Array;
  count = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  add(value: number): void {
    this.values[this.count++] = value;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}

/** When each view's deltas were published, by view id then sequence. */
type PublishTimes = Map<string, number[]>;

/** Consumes a stream, noting for each delta how long after its publish it arrived. */
function consume(stream: AsyncIterable<WatchMessage>, publishedAt: PublishTimes, samples: Samples): void {
  void (async () => {
    for await (const message of stream) {
      if (message.kind !== "delta") continue;
      const sent = publishedAt.get(message.viewId)?.[message.sequence];
      if (sent !== undefined) samples.add(performance.now() - sent);
    }
  })();
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(name: string, samples: Samples): { p50: number; p99: number } {
  const sorted = samples.sorted();
  const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1)!];
  console.log(
    `[streaming latency] ${name}: ${sorted.length} deliveries, p50 ${(p50 * 1000).toFixed(1)} µs, p99 ${(p99 * 1000).toFixed(1)} µs, max ${max.toFixed(2)} ms`,
  );
  return { p50, p99 };
}

async function measure(world: World, rounds: number, mutate: (round: number) => ViewDelta[], publishedAt: PublishTimes): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const deltas = mutate(round);
    const now = performance.now();
    for (const d of deltas) {
      let times = publishedAt.get(d.viewId);
      if (times === undefined) publishedAt.set(d.viewId, (times = []));
      times[d.sequence] = now;
    }
    world.hub.publish(deltas);
    await nextMacrotask();
  }
}

describe("DeltaHub latency with 1,000 open streams", () => {
  it("fans one view's deltas out to 1,000 streams", async () => {
    const world = createWorld({ replayLogSize: 256, queueLimit: 1_000 });
    world.register("hot", "c");
    const publishedAt: PublishTimes = new Map();
    const samples = new Samples(STREAMS * ROUNDS);
    for (let i = 0; i < STREAMS; i++) {
      consume(world.hub.subscribe(request({ viewIds: ["hot"] }), new AbortController().signal), publishedAt, samples);
    }
    await measure(world, ROUNDS, (round) => world.circuit.add("hot", `h:${round}`), publishedAt);
    expect(samples.count).toBe(STREAMS * ROUNDS);
    expect(report("1 view × 1,000 streams", samples).p50).toBeLessThan(5);
  });

  it("delivers batches touching 100 of 1,000 views, one stream each, with bodies", async () => {
    const world = createWorld({ replayLogSize: 256, queueLimit: 1_000 });
    const publishedAt: PublishTimes = new Map();
    const samples = new Samples(100 * ROUNDS);
    for (let i = 0; i < STREAMS; i++) {
      world.register(`v${i}`, `c${i}`);
      const stream = world.hub.subscribe(request({ clientId: `c${i}`, includeRecords: true }), new AbortController().signal);
      consume(stream, publishedAt, samples);
    }
    await measure(
      world,
      ROUNDS,
      (round) => Array.from({ length: 100 }, (_, k) => world.circuit.add(`v${(round * 100 + k * 7) % STREAMS}`, `r:${round}_${k}`)).flat(),
      publishedAt,
    );
    expect(samples.count).toBe(100 * ROUNDS);
    expect(report("100 of 1,000 views per batch", samples).p50).toBeLessThan(5);
  });
});

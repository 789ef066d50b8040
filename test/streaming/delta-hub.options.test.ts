import { describe, expect, it } from "vitest";
import { DeltaHub } from "../../src/streaming/index.js";
import { ModelCircuit } from "./support/model-circuit.js";
import { createWorld, read, request, summarize } from "./support/world.js";

describe("DeltaHub options and request edges", () => {
  it("refuses options it cannot honour", () => {
    const source = new ModelCircuit();
    const make = (replayLogSize: number, queueLimit: number, heartbeatMs: number) => () =>
      new DeltaHub(source, { replayLogSize, queueLimit, heartbeatMs });
    expect(make(-1, 10, 0)).toThrow(/replayLogSize must be an integer ≥ 0/);
    expect(make(10, 0, 0)).toThrow(/queueLimit must be an integer ≥ 1/);
    expect(make(10, 10, 0.5)).toThrow(/heartbeatMs/);
    expect(make(0, 1, 0)).not.toThrow();
  });

  it("ignores cursors for views the stream does not follow", async () => {
    const world = createWorld();
    world.register("v", "c", ["a:1"]);
    const reader = await read(
      world.hub.subscribe(request({ viewIds: ["v", "v"], resume: { elsewhere: 3 } }), new AbortController().signal),
    ).settle();
    expect(summarize(reader.take())).toEqual(["snapshot v@0 [a:1=1]"]);
  });
});

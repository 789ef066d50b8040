import { describe, expect, it } from "vitest";
import { CircuitError } from "../errors.js";
import { freshInstance, SurrealQLParser, type ParserEvent } from "./surrealql-parser.js";

/** 3,000 ORs: overflows ql-wasm's stack ("memory access out of bounds"), the input that poisoned the service. */
const TRAPPING = `SELECT * FROM u WHERE ${Array.from({ length: 3000 }, (_, i) => `a = ${i}`).join(" OR ")}`;

function failure(f: () => unknown): CircuitError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    return e as CircuitError;
  }
  throw new Error("expected a failure");
}

describe("SurrealQLParser", () => {
  it("answers a parse error as INVALID_ARGUMENT and keeps its instance", async () => {
    const parser = await SurrealQLParser.create();
    const err = failure(() => parser.parse("SELECT * FROM"));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toMatch(/^SurrealQL parse error: /);
    expect(parser.health()).toEqual({ state: "ready", restarts: 0 });
  });

  it("after a trap, answers that query INVALID_ARGUMENT, loads a fresh instance and parses again", async () => {
    const parser = await SurrealQLParser.create();
    const events: ParserEvent[] = [];
    parser.onEvent((e) => events.push(e));

    const err = failure(() => parser.parse(TRAPPING));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.message).toMatch(/the SurrealQL parser failed on this query \(RuntimeError: memory access out of bounds\).*restarted/);
    expect(parser.health().state).toBe("restarting");
    expect(failure(() => parser.parse("SELECT * FROM u")).code).toBe("UNAVAILABLE");

    await parser.whenReady();
    expect(parser.health()).toEqual({ state: "ready", restarts: 1 });
    expect(parser.parse("SELECT * FROM u")).toHaveLength(1);
    expect(events.map((e) => e.kind)).toEqual(["trap", "restarted"]);
    expect(events[0]).toMatchObject({ kind: "trap", message: "RuntimeError: memory access out of bounds" });
    expect((events[0] as { query: string }).query.length).toBeLessThanOrEqual(201);
  });

  it("recovers again after every trap", async () => {
    const parser = await SurrealQLParser.create();
    for (let round = 1; round <= 3; round++) {
      expect(failure(() => parser.parse(TRAPPING)).code).toBe("INVALID_ARGUMENT");
      await parser.whenReady();
      expect(parser.parse("SELECT * FROM u WHERE a = 1")).toHaveLength(1);
      expect(parser.health().restarts).toBe(round);
    }
  });

  it("is unrecoverable when fresh instances fail the check: UNAVAILABLE, and health says why", async () => {
    // Each fresh instance is a real one, poisoned by the trapping query before it is handed over.
    const poisoned = async () => {
      const instance = await freshInstance();
      try {
        instance.parse(TRAPPING);
      } catch {
        // the trap is the point
      }
      return instance;
    };
    const parser = new SurrealQLParser({ instance: await freshInstance(), load: poisoned });
    const events: ParserEvent[] = [];
    parser.onEvent((e) => events.push(e));
    failure(() => parser.parse(TRAPPING));
    await parser.whenReady();
    const health = parser.health();
    expect(health.state).toBe("unrecoverable");
    expect(health.detail).toMatch(/3 fresh instances failed on "SELECT \* FROM t" \(RuntimeError: memory access out of bounds\)/);
    const err = failure(() => parser.parse("SELECT * FROM u"));
    expect(err.code).toBe("UNAVAILABLE");
    expect(err.message).toMatch(/the SurrealQL parser is unavailable: 3 fresh instances failed/);
    expect(events.map((e) => e.kind)).toEqual(["trap", "unrecoverable"]);
  });

  it("a listener that throws does not change the answer", async () => {
    const parser = await SurrealQLParser.create();
    parser.onEvent(() => {
      throw new Error("listener bug");
    });
    expect(failure(() => parser.parse(TRAPPING)).code).toBe("INVALID_ARGUMENT");
    await parser.whenReady();
    expect(parser.health().state).toBe("ready");
    expect(parser.parse("SELECT * FROM u")).toHaveLength(1);
  });
});

import { describe, expect, it } from "vitest";
import { Circuit } from "./circuit.js";
import { CircuitError } from "./errors.js";
import { create, link, view } from "./testing.js";
import type { WireValue } from "./types.js";

/** The error registering `surql` with `params` raises; fails the test when it is accepted. */
function refusal(surql: string, params: { [name: string]: WireValue } = {}): CircuitError {
  const c = new Circuit();
  try {
    c.registerView(view("v", surql, params));
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    expect((e as CircuitError).code).toBe("INVALID_ARGUMENT");
    expect(c.getView("v")).toBeUndefined();
    return e as CircuitError;
  }
  throw new Error(`accepted: ${surql}`);
}

// SurrealDB 3.0.2 fetches the linked record in each of these (checked against the embedded server).
describe("record-link dereference the circuit does not track is refused, never read as NONE", () => {
  it("accepts a param holding plain values, and a bare link param", () => {
    const c = new Circuit();
    c.ingest([create("t:1", { n: 5 }), create("t:2", { n: 6, u: link("user:1") })]);
    expect(c.registerView(view("a", "SELECT * FROM t WHERE n = $p.n", { p: { n: 5 } })).view.members.map((m) => m.id.text)).toEqual(["t:1"]);
    expect(c.registerView(view("b", "SELECT * FROM t WHERE u = $p", { p: link("user:1") })).view.members.map((m) => m.id.text)).toEqual(["t:2"]);
    expect(c.registerView(view("c", "SELECT * FROM t WHERE n = $p.n", { p: "user:1" })).view.members).toEqual([]);
  });

  it("leaves a live view untouched when its replacement is refused", () => {
    const c = new Circuit();
    c.registerView(view("v", "SELECT * FROM t"));
    expect(() => c.registerView(view("v", "SELECT * FROM t WHERE n = user:1.n"))).toThrow(/dereference/);
    expect(c.getView("v")!.spec.surql).toBe("SELECT * FROM t");
  });

  it("refuses a path below a record id literal or a computed value, which could read any record", () => {
    expect(refusal("SELECT * FROM t WHERE n = user:1.n").message).toBe("record-link dereference of a record id literal is not supported in views at 1:33");
    expect(refusal("SELECT * FROM t WHERE n = [user:1][0].n").message).toMatch(/record id literal .* at 1:38/);
    expect(refusal("SELECT * FROM t WHERE n = [$p][0].n", { p: link("user:1") }).message).toMatch(/field path below a computed value/);
  });
});

describe("LIMIT and START params", () => {
  it("size each view's window from its own params", () => {
    const c = new Circuit();
    c.ingest([1, 2, 3, 4].map((n) => create(`t:${n}`, { n })));
    const ids = (id: string) => c.getView(id)!.members.map((m) => m.id.text);
    c.registerView(view("two", "SELECT * FROM t ORDER BY n DESC LIMIT $n START $s", { n: 2, s: 0 }));
    c.registerView(view("one", "SELECT * FROM t ORDER BY n DESC LIMIT $n START $s", { n: 1, s: 2 }));
    expect(ids("two")).toEqual(["t:3", "t:4"]);
    expect(ids("one")).toEqual(["t:2"]);
  });

  it("must be non-negative integers, or the view is refused naming the param", () => {
    for (const bad of [1.5, -1, "2", null, { $rid: "t:1" }]) {
      expect(refusal("SELECT * FROM t LIMIT $n", { n: bad as WireValue }).message).toBe(`LIMIT $n must be a non-negative integer, got ${JSON.stringify(bad)}`);
    }
    expect(refusal("SELECT * FROM t START $s", {}).message).toMatch(/reads \$s, which is not among/);
  });
});

describe("a param the view was not given", () => {
  it("is refused by name rather than read as NONE, as SurrealDB would", () => {
    expect(refusal("SELECT * FROM t WHERE room = $rooom", { room: "r" }).message).toBe("the query reads $rooom, which is not among the view's params");
    expect(refusal("SELECT *, (SELECT * FROM u WHERE a = $q) AS x FROM t").message).toMatch(/\$q, which is not among/);
  });
});

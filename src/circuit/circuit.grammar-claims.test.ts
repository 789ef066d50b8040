import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SurrealOracle } from "../../test/differential/oracle.js";
import { disagreements, replaySteps, type ReplayStep } from "../../test/differential/replay-steps.js";
import { Circuit } from "./circuit.js";
import { CircuitError } from "./errors.js";
import { create, link, remove, update, view } from "./testing.js";
import type { WireValue } from "./types.js";

// What the README's grammar section ("Views: the SurrealQL SSP maintains")
// claims, each claim checked: the forms it lists as accepted answer as the
// embedded SurrealDB does, step by step; the refusals it lists are refusals;
// and the membership rule (rows, subquery rows, records fetched through
// `link.*`; not ids embedded in values) is what the circuit counts.

const TABLES = ["user", "post"];

let oracle: SurrealOracle;
beforeAll(async () => {
  oracle = await SurrealOracle.open();
});
afterAll(async () => {
  await oracle.close();
});

const steps = [
  create("user:1", { n: 1, tags: ["a", "b"], o: { x: 1 }, f: 2 }),
  create("user:2", { n: 2, tags: ["b"], o: { x: 2 }, f: 1.5 }),
  create("user:3", { n: 3, tags: [], o: { x: 1, y: 2 } }),
  update("user:1", { n: 4, tags: ["c"], o: { x: 1 }, f: 2 }),
  update("user:3", { n: 0, tags: ["a", "b", "c"], o: { x: 1 } }),
  remove("user:2"),
] as ReplayStep[];

describe("forms the grammar section lists as accepted answer as SurrealDB does", () => {
  it.each([
    ["ALLINSIDE", `SELECT * FROM user WHERE tags ALLINSIDE ["a", "b", "c"]`],
    ["ANYINSIDE", `SELECT * FROM user WHERE tags ANYINSIDE ["a", "z"]`],
    ["NONEINSIDE", `SELECT * FROM user WHERE tags NONEINSIDE ["a"]`],
    ["IS <value>", "SELECT * FROM user WHERE n IS 1 OR n IS 4"],
    ["IS NOT <value>", "SELECT * FROM user WHERE n IS NOT 4"],
    ["decimal literal", "SELECT * FROM user WHERE f = 1.5dec"],
    ["float literal", "SELECT * FROM user WHERE f = 2f"],
    ["object literal", "SELECT * FROM user WHERE o = { x: 1 }"],
    ["ORDER BY a computed alias", "SELECT *, n > 2 AS big FROM user ORDER BY big DESC, n LIMIT 2"],
    ["ORDER BY a computed alias, LIMIT $l", "SELECT *, n > 2 AS big FROM user ORDER BY big LIMIT $l"],
    ["ORDER BY an array-valued alias", "SELECT *, [f, n] AS pair FROM user WHERE n >= 0 ORDER BY pair DESC LIMIT 1"],
  ])("%s", async (_name, surql) => {
    const checks = await replaySteps(oracle, TABLES, [{ id: "v", surql, params: { l: 1 } }], steps);
    expect(disagreements(checks)).toEqual([]);
    // Not vacuous: the view holds something at some step.
    expect(checks.some((c) => c.surrealdb.length > 0)).toBe(true);
  });
});

function refusal(surql: string, params: { [name: string]: WireValue } = {}): string {
  const c = new Circuit();
  try {
    c.registerView(view("v", surql, params));
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    expect((e as CircuitError).code).toBe("INVALID_ARGUMENT");
    expect(c.getView("v")).toBeUndefined();
    return (e as CircuitError).message;
  }
  throw new Error(`accepted: ${surql}`);
}

describe("deliberate refusals the grammar section lists", () => {
  it("refuses an unbound param, LIMIT $n with n = NULL, and ORDER BY a subquery's alias or a param-dependent alias", () => {
    expect(refusal("SELECT * FROM user WHERE n = $missing")).toContain("$missing");
    expect(refusal("SELECT * FROM user ORDER BY n LIMIT $n", { n: null })).toContain("LIMIT");
    expect(refusal("SELECT *, (SELECT * FROM post WHERE author = $parent.id) AS posts FROM user ORDER BY posts LIMIT 1")).toContain("subquery");
    expect(refusal("SELECT *, n > $p AS big FROM user ORDER BY big LIMIT 1", { p: 2 })).toContain("computed");
    expect(refusal("SELECT *, author.n > 2 AS big FROM post ORDER BY big LIMIT 1")).toContain("computed");
  });

  it("refuses the other constructs the section names", () => {
    expect(refusal("SELECT * FROM user WHERE n + 1 = 2")).toContain("operator Add");
    expect(refusal("SELECT * FROM user WHERE -n = 1")).toContain("negating");
    expect(refusal("SELECT * FROM user WHERE n = $this")).toContain("$this");
    expect(refusal("SELECT * FROM user WHERE n = user:1.n")).toContain("record id literal");
    expect(refusal("SELECT n FROM user ORDER BY s")).toMatch(/order idiom .s. in statement selection|not in the selection/);
    expect(refusal("SELECT * FROM user WHERE n IN (SELECT * FROM post)")).toContain("subquery outside the select list");
    expect(refusal("SELECT *, (SELECT * FROM post).x AS p FROM user")).toContain("[n]");
  });
});

describe("membership: rows, subquery rows and fetched records, not embedded ids", () => {
  it("does not count a record id held in a nested object or projected from a param", () => {
    const c = new Circuit();
    c.ingest([create("user:1", { n: 1 }), create("post:1", { o: { id: link("user:1") }, author: link("user:1") })]);
    c.registerView(view("nested", "SELECT * FROM post"));
    c.registerView(view("param", "SELECT *, $p AS pv FROM post", { p: { id: link("user:1") } }));
    c.registerView(view("fetched", "SELECT *, author.* AS a FROM post"));
    const members = (id: string) => c.getView(id)!.members.map((m) => m.id.text);
    expect(members("nested")).toEqual(["post:1"]);
    expect(members("param")).toEqual(["post:1"]);
    expect(members("fetched")).toEqual(["post:1", "user:1"]);
  });
});

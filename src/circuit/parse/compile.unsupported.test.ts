import { describe, expect, it } from "vitest";
import { CircuitError } from "../errors.js";
import { compileQuery } from "./compile.js";

function rejection(surql: string): CircuitError {
  try {
    compileQuery(surql);
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    expect((e as CircuitError).code).toBe("INVALID_ARGUMENT");
    return e as CircuitError;
  }
  throw new Error(`accepted: ${surql}`);
}

describe("compileQuery rejects what it cannot maintain exactly, naming the construct and where it is", () => {
  const cases: [string, RegExp][] = [
    ["SELECT count() FROM t GROUP ALL", /GROUP BY.* at 1:23/],
    ["SELECT a, count() FROM t GROUP BY a", /GROUP BY.* at 1:26/],
    ["SELECT * FROM t WHERE at < time::now()", /function call time::now\(\).* at 1:28/],
    ["SELECT * FROM t WHERE string::len(a) > 1", /function call string::len/],
    ["SELECT * FROM t WHERE ->likes->post", /graph traversal.* at 1:23/],
    ["SELECT * FROM t FETCH author", /FETCH.* at 1:17/],
    ["SELECT * FROM t SPLIT tags", /SPLIT.* at 1:17/],
    ["SELECT * OMIT secret FROM t", /OMIT.* at 1:10/],
    ["SELECT * FROM t, u", /several targets/],
    ["SELECT * FROM t WHERE a IN (SELECT * FROM u)", /subquery outside the select list.* at 1:28/],
    ["SELECT *, (SELECT * FROM u) AS x FROM t WHERE a IN (SELECT * FROM u)", /subquery outside the select list.* at 1:52/],
    ["SELECT *, (SELECT * FROM u WHERE v = $parent.id) AS x FROM t ORDER BY x LIMIT 1", /ORDER BY x \(a subquery's result\)/],
    ["SELECT * FROM ONLY t:1", /ONLY.* at 1:15/],
    ["SELECT * FROM t:1", /FROM a record id/],
    ["SELECT * FROM t TIMEOUT 1s", /TIMEOUT.* at 1:17/],
    ["SELECT * FROM t EXPLAIN", /EXPLAIN.* at 1:17/],
    ["SELECT * FROM t WITH NOINDEX", /WITH.* at 1:17/],
    ["SELECT * FROM t VERSION d'2024-01-01'", /VERSION.* at 1:17/],
    ["SELECT VALUE a FROM t", /SELECT VALUE/],
    ["SELECT * FROM t ORDER BY RAND()", /RAND/],
    ["SELECT * FROM t ORDER BY a COLLATE", /COLLATE/],
    ["SELECT * FROM t WHERE a + 1 > 2", /operator Add.* at 1:25/],
    ["SELECT * FROM t WHERE a ~ 'x'", /operator Like/],
    ["SELECT * FROM t WHERE a ?= 1", /operator AnyEqual/],
    ["SELECT * FROM t LIMIT $parent.n", /LIMIT with anything but/],
    ["SELECT * FROM t LIMIT 1.5", /LIMIT with anything but a non-negative integer literal or a param .* at 1:17/],
    ["SELECT * FROM t START 0.5", /START with anything but a non-negative integer literal or a param .* at 1:17/],
    ["SELECT * FROM t WHERE a = $parent.b", /\$parent.*subquery.* at 1:27/],
    ["SELECT * FROM t WHERE a = $this", /built-in parameter \$this/],
    ["SELECT * FROM t WHERE tags[WHERE v = 1]", /\[WHERE/],
    ["SELECT * FROM t WHERE -a = 1", /negating/],
    ["SELECT *, (SELECT * FROM u).name AS n FROM t", /subquery followed by/],
    ["SELECT * FROM t; SELECT * FROM u", /exactly one SELECT statement, found 2/],
    ["CREATE t SET a = 1", /only SELECT.*CREATE/],
    ["DELETE t", /only SELECT.*DELETE/],
  ];
  for (const [surql, message] of cases) {
    it(`rejects ${surql}`, () => {
      expect(rejection(surql).message).toMatch(message);
    });
  }

  it("rejects empty text", () => {
    expect(rejection("  ").message).toMatch(/empty/);
  });

  it("passes the parser's message on for unparsable text", () => {
    expect(rejection("SELECT * FROM t WHERE a =").message).toMatch(/parse error.*Unexpected end of file.*1:25/s);
    expect(rejection("SELECT * FROM t WHERE NOT a").message).toMatch(/parse error/);
  });

  it("rejects ORDER BY a field outside the selection", () => {
    expect(rejection("SELECT a FROM t ORDER BY b").message).toMatch(/ORDER BY|order idiom/);
  });
});

describe("compileQuery accepts the supported grammar", () => {
  const accepted = [
    "SELECT * FROM t",
    "SELECT a.b.c, d AS e FROM t WHERE a.b.c = 1 ORDER BY e DESC, a.b.c LIMIT 5 START 2",
    "SELECT * FROM t WHERE a == 1 AND b != 'x' OR c < 1.5 AND d <= -2 AND e > 0 AND f >= -0.5",
    "SELECT * FROM t WHERE v < -1 AND w < - 2.5",
    "SELECT * FROM t WHERE !a AND NOT(b) AND (c OR d)",
    "SELECT * FROM t WHERE a CONTAINS 1 AND a CONTAINSNOT 2 AND a CONTAINSANY [1] AND a CONTAINSALL [1] AND a CONTAINSNONE [3]",
    "SELECT * FROM t WHERE a IN [1, 'x', user:1] AND b NOT IN [] AND c INSIDE [1] AND d NOTINSIDE [2]",
    "SELECT * FROM t WHERE a IS NONE AND b IS NOT NULL AND c = NONE AND d != NULL AND e = true AND f = false",
    "SELECT * FROM t WHERE a = user:⟨a b⟩ AND b = user:`c d` AND c = user:-3 AND d = $p.q.r AND e = [1, [2]]",
    "SELECT *, (SELECT *, (SELECT *, (SELECT * FROM d WHERE c = $parent.id) AS ds FROM c WHERE b = $parent.id) AS cs FROM b WHERE a = $parent.id LIMIT 3 START 1)[0] AS b FROM a",
  ];
  for (const surql of accepted) {
    it(`accepts ${surql}`, () => {
      expect(() => compileQuery(surql)).not.toThrow();
    });
  }

  it("shares one plan shape between views that differ only in params", () => {
    const q = "SELECT * FROM msg WHERE room = $room";
    expect(compileQuery(q).key).toBe(compileQuery(q).key);
    expect(compileQuery(q).dispatch).toMatchObject({ kind: "equal", rowPath: [{ kind: "field", name: "room" }] });
  });

  it("indexes instances on the most selective conjunct: equality, membership, interval, range; a param before a constant", () => {
    const kind = (q: string) => compileQuery(q).dispatch?.kind;
    expect(kind("SELECT * FROM t WHERE n < $max AND tags CONTAINS $tag AND room = $room")).toBe("equal");
    expect(kind("SELECT * FROM t WHERE n < $max AND $tag IN tags")).toBe("member");
    expect(kind("SELECT * FROM t WHERE active = true AND price < $max")).toBe("range");
    expect(kind("SELECT * FROM t WHERE active = true AND price < 5")).toBe("equal");
    expect(kind("SELECT * FROM t WHERE score >= $lo AND score < $hi")).toBe("interval");
    expect(kind("SELECT * FROM t WHERE score >= $lo AND price < $hi")).toBe("range");
    expect(kind("SELECT * FROM t WHERE a.b = $x OR n = 1")).toBeUndefined();
    // A path that may cross a record link has no stable value to index.
    expect(kind("SELECT * FROM t WHERE author.n = $n")).toBeUndefined();
  });
});

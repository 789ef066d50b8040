import { describe, expect, it } from "vitest";
import { CircuitError } from "../errors.js";
import { compileQuery } from "./compile.js";
import { countOperators, DEFAULT_QUERY_LIMITS, MAX_AST_DEPTH, type QueryLimits } from "./query-limits.js";

const limits = DEFAULT_QUERY_LIMITS;
const ors = (n: number) => `SELECT * FROM u WHERE ${Array.from({ length: n }, (_, i) => `a = ${i}`).join(" OR ")}`;
const nots = (n: number) => `SELECT * FROM u WHERE ${"!".repeat(n)}a`;
const subqueries = (levels: number) => {
  let q = "SELECT * FROM v WHERE p = $parent.id";
  for (let i = 1; i < levels; i++) q = `SELECT *, (${q}) AS s FROM v WHERE p = $parent.id`;
  return `SELECT *, (${q}) AS s FROM u`;
};

function refusal(surql: string, with_: QueryLimits = limits): CircuitError {
  try {
    compileQuery(surql, { limits: with_ });
  } catch (e) {
    expect(e).toBeInstanceOf(CircuitError);
    expect((e as CircuitError).code).toBe("INVALID_ARGUMENT");
    return e as CircuitError;
  }
  throw new Error(`accepted: ${surql.slice(0, 80)}`);
}

describe("query limits refuse, naming the limit, what would overflow the parser or the compiler", () => {
  it.each([
    ["3,000 ORs (trapped ql-wasm)", ors(3000)],
    ["2,000 ORs (overflowed the compiler's stack)", ors(2000)],
    ["2,500 nested NOTs", nots(2500)],
    ["1,800 nested calls", `SELECT * FROM u WHERE a = ${"math::abs(".repeat(1800)}1${")".repeat(1800)}`],
    ["3,000 additions", `SELECT * FROM u WHERE a = ${Array.from({ length: 3000 }, () => "1").join(" + ")}`],
  ])("%s: SSP_VIEW_MAX_QUERY_OPERATORS", (_name, surql) => {
    expect(refusal(surql).message).toMatch(/more than 512 operators and brackets.*\(SSP_VIEW_MAX_QUERY_OPERATORS\)$/);
  });

  it("huge text: SSP_VIEW_MAX_QUERY_BYTES, before any parsing", () => {
    const surql = `SELECT * FROM u WHERE a IN [${Array.from({ length: 20000 }, (_, i) => i).join(", ")}]`;
    expect(refusal(surql).message).toBe(`the query is ${surql.length} bytes, over the limit of 65536 bytes (SSP_VIEW_MAX_QUERY_BYTES)`);
  });

  it("counts bytes, not characters", () => {
    const surql = `SELECT * FROM u WHERE a = '${"é".repeat(40)}'`;
    expect(surql.length).toBeLessThan(100);
    expect(refusal(surql, { ...limits, maxQueryBytes: 100 }).message).toMatch(/^the query is 108 bytes, over the limit of 100 bytes/);
  });

  it("subqueries nested past the limit: SSP_VIEW_MAX_SUBQUERY_DEPTH", () => {
    expect(() => compileQuery(subqueries(8), { limits })).not.toThrow();
    expect(refusal(subqueries(9)).message).toBe("subqueries nest more than 8 levels deep (SSP_VIEW_MAX_SUBQUERY_DEPTH)");
  });

  it("an AST nested past the fixed depth is refused once parsed, before the compiler recurses", () => {
    const permissive = { ...limits, maxQueryOperators: 100_000 };
    expect(refusal(nots(1000), permissive).message).toBe(`the query nests more than ${MAX_AST_DEPTH} levels deep once parsed (a fixed limit)`);
  });

  it("accepts queries right at the limits, and compiles them without overflowing", () => {
    expect(() => compileQuery(ors(limits.maxQueryOperators / 2), { limits })).not.toThrow();
    expect(() => compileQuery(nots(limits.maxQueryOperators - 1), { limits })).not.toThrow();
    const padded = `SELECT * FROM u WHERE a = '${"x".repeat(limits.maxQueryBytes - 40)}'`;
    expect(Buffer.byteLength(padded)).toBeLessThanOrEqual(limits.maxQueryBytes);
    expect(() => compileQuery(padded, { limits })).not.toThrow();
  });

  it("without limits (restoring what was accepted before), nothing is checked", () => {
    expect(() => compileQuery(subqueries(9))).not.toThrow();
  });
});

describe("countOperators", () => {
  it.each([
    ["SELECT * FROM u", 1],
    ["SELECT * FROM u WHERE a = 1 AND b != 2", 5],
    ["SELECT * FROM u WHERE a CONTAINSANY [1] OR !b", 5],
    ["SELECT * FROM u WHERE a = 'x OR y (((' -- OR OR (((\n", 1 + 1],
    ['SELECT * FROM u WHERE a = "<<<" /* ((( */ # !!!\n', 1 + 1],
    ["SELECT * FROM u WHERE `a(b` = ⟨c(d⟩", 1 + 1],
    ["SELECT *, (SELECT * FROM v)[0] AS x FROM u", 4],
  ])("%s → %i", (surql, n) => {
    expect(countOperators(surql)).toBe(n);
  });
});

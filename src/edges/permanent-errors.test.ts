import { CallTerminatedError, ConnectionUnavailableError, InternalError, NotAllowedError, QueryError, ValidationError } from "surrealdb";
import { describe, expect, it } from "vitest";
import { ConnectionUnavailableError as OwnUnavailable } from "../surreal/index.js";
import { isPermanentFailure } from "./permanent-errors.js";

const query = (kind: string) => new QueryError({ kind: "Query", message: kind, details: { kind } });

describe("isPermanentFailure", () => {
  it("is true for refusals retrying cannot fix", () => {
    expect(isPermanentFailure(new InternalError({ kind: "Internal", message: "Commit failed: Memtable arena is full" }))).toBe(true);
    expect(isPermanentFailure(new ValidationError({ kind: "Validation", message: "Parse error" }))).toBe(true);
    expect(isPermanentFailure(query("NotExecuted"))).toBe(true);
    expect(isPermanentFailure(new NotAllowedError({ kind: "NotAllowed", message: "denied", details: { kind: "Auth", details: { kind: "InvalidAuth" } } }))).toBe(true);
  });

  it("is false for timeouts, cancellations, conflicts, expired tokens, lost connections and unknown errors", () => {
    for (const kind of ["TimedOut", "Cancelled", "TransactionConflict"]) expect(isPermanentFailure(query(kind)), kind).toBe(false);
    expect(
      isPermanentFailure(new NotAllowedError({ kind: "NotAllowed", message: "expired", details: { kind: "Auth", details: { kind: "TokenExpired" } } })),
    ).toBe(false);
    expect(isPermanentFailure(new CallTerminatedError())).toBe(false);
    expect(isPermanentFailure(new ConnectionUnavailableError())).toBe(false);
    expect(isPermanentFailure(new OwnUnavailable("SurrealDB is not connected"))).toBe(false);
    expect(isPermanentFailure(new Error("something else"))).toBe(false);
    expect(isPermanentFailure("a string")).toBe(false);
  });
});

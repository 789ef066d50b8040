import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { checkClientId, checkRecordId, checkTableName, checkViewId } from "./request-limits.js";

function refusal(check: () => void): string {
  try {
    check();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    return (err as ConnectError).rawMessage;
  }
  throw new Error("expected a refusal");
}

describe("identifier rules", () => {
  it("refuse lone surrogates in every id, since SurrealDB stores U+FFFD in their place", () => {
    expect(refusal(() => checkViewId("v\ud800", "id"))).toMatch(/^id is not well-formed Unicode/);
    expect(refusal(() => checkClientId("\udc00", "client_id"))).toMatch(/^client_id is not well-formed/);
    expect(refusal(() => checkRecordId("user:a\ud800", "change.id"))).toMatch(/^change\.id is not well-formed/);
    expect(refusal(() => checkTableName("t\udfff", "change.table"))).toMatch(/^change\.table is not well-formed/);
  });

  it("accept surrogate pairs, escapes and anything else SurrealDB can name", () => {
    for (const id of ["⟨😀⟩:1", "⟨a b⟩:⟨c d⟩", "`a:b`:1", "user:1", "⟨a\tb⟩:1"]) checkRecordId(id, "id");
    checkTableName("x".repeat(256), "t");
    checkViewId("😀", "id");
  });
});

/**
 * The table-name rule of src/server/request-limits.ts, checked against what an
 * embedded SurrealDB and the view parser actually do: every name the rule
 * accepts survives SurrealDB bound as a parameter (as the edge writes bind it)
 * and can be named in a view; each name it refuses fails one of the two.
 */
import { createNodeEngines } from "@surrealdb/node";
import { RecordId, Surreal } from "surrealdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Circuit } from "../../src/circuit/index.js";
import { create, view } from "../../src/circuit/testing.js";
import { checkTableName } from "../../src/server/request-limits.js";

let db: Surreal;
beforeAll(async () => {
  db = new Surreal({ engines: createNodeEngines() });
  await db.connect("mem://");
  await db.use({ namespace: "tables", database: "tables" });
});
afterAll(() => db.close());

/** The table SurrealDB hands back for a record created in `table` through a bound id. */
async function storedTable(table: string): Promise<string> {
  const [rows] = await db.query("CREATE $id CONTENT { v: 1 } RETURN id", { id: new RecordId(table, 1) }).collect<[{ id: RecordId }[]]>();
  return rows[0]!.id.table.name;
}

/** Whether a view over `table`, written as SurrealDB escapes identifiers, sees a record of it. */
function viewSees(table: string): boolean {
  const escaped = `\`${table.replace(/[\\`]/g, "\\$&").replace(/\n/g, "\\n").replace(/\t/g, "\\t")}\``;
  const circuit = new Circuit();
  try {
    circuit.registerView(view("v", `SELECT * FROM ${escaped}`));
  } catch {
    return false;
  }
  circuit.ingest([create(`⟨${table.replace(/[\\⟩]/g, "\\$&")}⟩:1`, {})]);
  return circuit.getView("v")?.members.length === 1;
}

const accepts = (name: string): boolean => {
  try {
    checkTableName(name, "table");
    return true;
  } catch {
    return false;
  }
};

describe("table names", () => {
  it.each(["user", "_x", "1abc", "123", "a b", "a-b", "a:b", "ünï", "日本", "😀", "⟨", "⟩", "`", "\\", "a\nb", "\t", "select", "NONE", "x".repeat(256)])(
    "%j is accepted: SurrealDB keeps it and a view can name it",
    async (name) => {
      expect(accepts(name)).toBe(true);
      expect(await storedTable(name)).toBe(name);
      expect(viewSees(name)).toBe(true);
    },
  );

  it("a lone surrogate is refused: SurrealDB stores U+FFFD in its place", async () => {
    expect(accepts("a\ud800b")).toBe(false);
    expect(await storedTable("a\ud800b")).toBe("a\ufffdb");
  });

  it("NUL is refused: SurrealDB keeps it, but no view can name the table", async () => {
    expect(accepts("a\u0000b")).toBe(false);
    expect(await storedTable("a\u0000b")).toBe("a\u0000b");
    expect(viewSees("a\u0000b")).toBe(false);
  });
});

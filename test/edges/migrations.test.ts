import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SurrealConnection } from "../../src/surreal/index.js";
import { loadMigrations, migrate, migrationsDir, SchemaTooNewError } from "../../src/edges/migrations.js";
import { openConnection, removeDir, tempDir } from "./fixtures.js";

describe("migrations", () => {
  let db: SurrealConnection;
  beforeEach(async () => {
    db = await openConnection();
  });
  afterEach(async () => {
    await db.close();
  });

  const schemaVersion = async (): Promise<unknown> => ((await db.query("SELECT VALUE version FROM _spooky_meta:schema", {})) as [unknown[]])[0][0];
  const tableInfo = async (): Promise<string> => JSON.stringify(await db.query("INFO FOR TABLE _spooky_list_ref", {}));

  it("the connection ran them: tables, relation type, unique (in, out) index, schema version", async () => {
    const latest = (await loadMigrations()).at(-1)!.version;
    expect(await schemaVersion()).toBe(latest);
    const info = await tableInfo();
    expect(info).toContain("FIELDS in, out UNIQUE");
    expect(info).toContain("record<_spooky_incantation>");
  });

  it("running them again changes nothing", async () => {
    const before = await tableInfo();
    const migrations = await loadMigrations();
    expect(await migrate(db, migrations)).toEqual({ from: migrations.length, to: migrations.length });
    await db.query("UPSERT _spooky_meta:schema SET version = 0", {});
    expect(await migrate(db, migrations)).toEqual({ from: 0, to: migrations.length });
    expect(await tableInfo()).toBe(before);
  });

  it("upgrades an older schema one version at a time", async () => {
    const dir = await tempDir();
    try {
      const current = await loadMigrations();
      for (const m of current) await writeFile(join(dir, `${String(m.version).padStart(4, "0")}_${m.name}.surql`), m.text);
      const next = current.length + 1;
      await writeFile(join(dir, `${String(next).padStart(4, "0")}_client_index.surql`), "DEFINE INDEX IF NOT EXISTS _spooky_list_ref_client ON _spooky_list_ref FIELDS clientId;");
      expect(await migrate(db, await loadMigrations(dir))).toEqual({ from: current.length, to: next });
      expect(await tableInfo()).toContain("_spooky_list_ref_client");
      expect(await schemaVersion()).toBe(next);
    } finally {
      await removeDir(dir);
    }
  });

  it("refuses a schema newer than this SSP knows", async () => {
    await db.query("UPSERT _spooky_meta:schema SET version = 999", {});
    await expect(migrate(db, await loadMigrations())).rejects.toBeInstanceOf(SchemaTooNewError);
  });

  it("finds the .surql files from src/ and from the build output", async () => {
    expect(migrationsDir()).toMatch(/src[/\\]edges[/\\]migrations$/);
    const dir = await tempDir();
    try {
      await mkdir(join(dir, "gaps"));
      await writeFile(join(dir, "gaps", "0002_x.surql"), "");
      await expect(loadMigrations(join(dir, "gaps"))).rejects.toThrow(/without gaps/);
    } finally {
      await removeDir(dir);
    }
  });
});

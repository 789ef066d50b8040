/**
 * SSP's SurrealDB schema, as versioned migrations: `migrations/NNNN_name.surql`,
 * applied in order at start, each in its own transaction together with the bump of
 * `_spooky_meta:schema.version`. Every file is idempotent, so starting twice, two
 * instances starting together, or a start on an older schema all end the same way.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EdgeDatabase } from "./types.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly text: string;
}

const FILE = /^(\d{4})_([a-z0-9_-]+)\.surql$/;

export class SchemaTooNewError extends Error {
  override name = "SchemaTooNewError";
}

/**
 * Where the .surql files are: beside this module when run from src/, or, when run
 * from the build (dist/src/edges/, which tsc fills with .js only), under src/edges/
 * of the project root found by walking up to package.json.
 */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "migrations");
  if (existsSync(beside)) return beside;
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "src", "edges", "migrations");
  }
  throw new Error(`cannot find the edge migrations from ${here}`);
}

export async function loadMigrations(dir: string = migrationsDir()): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const match = FILE.exec(file);
    if (match === null) continue;
    migrations.push({ version: Number(match[1]), name: match[2] ?? file, text: await readFile(join(dir, file), "utf8") });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`edge migrations must be numbered 0001, 0002, … without gaps; found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

/** Brings the schema to the newest migration; returns the versions before and after. */
export async function migrate(db: EdgeDatabase, migrations: readonly Migration[]): Promise<{ from: number; to: number }> {
  const [, versions] = await db.query(
    "DEFINE TABLE IF NOT EXISTS _spooky_meta SCHEMALESS; SELECT VALUE version FROM _spooky_meta:schema;",
    {},
  );
  const found = (versions as unknown[] | undefined)?.[0];
  const from = typeof found === "number" ? found : 0;
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new SchemaTooNewError(`the SurrealDB schema is at version ${from}, newer than this SSP knows (${latest}); upgrade SSP`);
  }
  for (const m of migrations) {
    if (m.version <= from) continue;
    await db.query(
      `BEGIN TRANSACTION;\n${m.text}\n;UPSERT _spooky_meta:schema SET version = $version, migratedAt = time::now();\nCOMMIT TRANSACTION;`,
      { version: m.version },
    );
  }
  return { from, to: Math.max(from, latest) };
}

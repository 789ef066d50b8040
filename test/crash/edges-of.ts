/**
 * Reads SSP's edges from a surrealkv data dir in a short-lived child process:
 * the embedded engine does not always release a datastore it opened, so the
 * test process itself never opens one.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");

/** `view id → record id → version`, as stored in `_spooky_list_ref`. */
export type EdgeMap = Record<string, Record<string, number>>;

const SCRIPT = `
  import { Surreal } from "surrealdb";
  import { createNodeEngines } from "@surrealdb/node";
  const [url, namespace, database] = JSON.parse(process.argv[1]);
  const db = new Surreal({ engines: createNodeEngines() });
  await db.connect(url, { namespace, database });
  const [rows] = await db.query("SELECT in, out, version FROM _spooky_list_ref").collect();
  const edges = {};
  for (const r of rows) {
    const view = String(r.in.id);
    const record = r.out.table.name + ":" + String(r.out.id);
    (edges[view] ??= {})[record] = r.version;
  }
  process.stdout.write(JSON.stringify(edges));
  await db.close();
  process.exit(0);`;

export function edgesOf(surrealUrl: string, namespace = "spooky", database = "ssp"): Promise<EdgeMap> {
  return new Promise((resolve, reject) => {
    execFile(NODE, ["--input-type=module", "-e", SCRIPT, JSON.stringify([surrealUrl, namespace, database])], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`reading edges failed: ${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as EdgeMap),
    );
  });
}

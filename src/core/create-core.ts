/**
 * Composition: builds the Core the server calls from SSP's services. This is
 * the place to wire the circuit, the edge writer, the journal/snapshotter and
 * the delta hub as they land; until then the core has no capabilities beyond
 * info and readiness, so those RPCs answer UNIMPLEMENTED honestly.
 *
 * Wiring rules for what lands here: every mutating capability (ingest,
 * registerView, unregisterView, reset) runs its ordered steps through one
 * WriterQueue (./writer-queue.ts); readiness names SurrealDB's check
 * `surrealdb`; close() saves the snapshot and closes the database.
 */
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Core } from "../server/core.js";

export async function createCore(config: Config, logger: Logger): Promise<Core> {
  logger.debug({ data_dir: config.dataDir }, "no engine wired yet: only info and readiness are available");
  return {
    info: () => ({ views: 0, records: 0, streams: 0, outboxPending: 0 }),
    readiness: async () => ({ ready: true, checks: { engine: { ok: true, detail: "no engine wired yet" } } }),
  };
}

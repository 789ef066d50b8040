/**
 * Composition: builds the Core the server calls from SSP's services.
 *
 * Start = load the snapshot, replay the journal after it (the state as of the
 * last acknowledged mutation), open SurrealDB and the edge outbox, and, when a
 * state was restored, resync the edges from it (SurrealDB may have missed writes
 * that were acknowledged while it was away, or been changed behind SSP's back).
 * Then the incarnation is decided (kept only when recovery proves that every
 * sequence a client may have seen is in the restored state; see
 * persistence/incarnation.ts) and recorded before anything is served.
 */
import path from "node:path";
import type { Logger } from "pino";
import { Circuit, sharedParser, type CircuitSnapshot, type SurrealQLParser } from "../circuit/index.js";
import type { Config } from "../config.js";
import { openEdgeStore, type EdgeDatabase } from "../edges/index.js";
import { Snapshotter, endIncarnation, recover, startIncarnation } from "../persistence/index.js";
import { DeltaHub } from "../streaming/index.js";
import type { Telemetry } from "../telemetry/index.js";
import { applyToCircuit, type Mutation } from "./mutation.js";
import { SspCore, allViews, declareViewTables } from "./ssp-core.js";
import { circuitViewSource } from "./view-source.js";

export interface CoreOptions {
  /** The SurrealQL parser; the process's shared one by default (tests give a core its own). */
  readonly parser?: SurrealQLParser;
  /** Wraps the SurrealDB connection the edge writer uses (tests inject faults into the real one). */
  readonly wrapEdgeDatabase?: ((db: EdgeDatabase) => EdgeDatabase) | undefined;
}

export async function createCore(config: Config, logger: Logger, telemetry: Telemetry, options: CoreOptions = {}): Promise<SspCore> {
  const parser = options.parser ?? sharedParser;
  const recovered = await recover<CircuitSnapshot, Mutation>({
    dir: config.dataDir,
    ifCorrupt: config.startEmptyOnCorrupt ? "start-empty" : "throw",
    onTornTail: (problem) => logger.warn({ problem }, "dropped a torn last journal record (a crash mid-write)"),
  });
  if (recovered.discarded !== undefined) {
    logger.error({ err: recovered.discarded.message }, "saved state was unusable and was set aside: starting empty (SSP_START_EMPTY_ON_CORRUPT=1)");
  }
  const circuit = recovered.state === undefined ? new Circuit({ parser }) : Circuit.fromSnapshot(recovered.state, { parser });
  for (const { position, entry } of recovered.entries) {
    try {
      applyToCircuit(circuit, entry, { kind: "replay" });
    } catch (err) {
      // Only acknowledged mutations are journalled and the circuit is deterministic,
      // so this means a bug; the rest of the journal still applies.
      logger.error({ err, position, kind: entry.kind }, "journal entry failed to replay");
    }
  }
  for (const view of circuit.listViews()) declareViewTables(circuit, telemetry, view.spec.id);
  const journalPosition = recovered.entries.at(-1)?.position ?? recovered.snapshotPosition;
  const restored = recovered.state !== undefined || recovered.entries.length > 0;
  logger.info(
    { views: circuit.stats().views, record_count: circuit.stats().records, replayed: recovered.entries.length },
    restored ? "state restored" : "starting with an empty state",
  );

  const edges = await openEdgeStore({
    url: config.surreal.url,
    namespace: config.surreal.namespace,
    database: config.surreal.database,
    user: config.surreal.user,
    pass: config.surreal.pass,
    dataDir: path.join(config.dataDir, "outbox"),
    logger: logger.child({ component: "edges" }),
    wrapDatabase: options.wrapEdgeDatabase,
    // Counted here, not by the core, so a write set aside during the start's resync counts too.
    onMetric: (metric) => {
      if (metric.kind === "setAside") telemetry.metrics.recordEdgeWriteSetAside();
    },
  });
  if (restored) {
    const resync = await edges.resyncAll(allViews(circuit));
    logger.info(resync, "edges resynced from the restored state");
  }

  const journal = config.journal ? recovered.journal : undefined;
  if (journal === undefined) await recovered.journal.close();
  const incarnation = await startIncarnation({
    dir: config.dataDir,
    discarded: recovered.discarded !== undefined,
    journal: config.journal,
  });
  logger.info({ incarnation }, "incarnation");
  const hub = new DeltaHub(circuitViewSource(circuit), { ...config.watch, incarnation, quotas: config.quotas });
  let core: SspCore | undefined;
  const snapshotter = new Snapshotter<CircuitSnapshot>({
    file: recovered.paths.snapshotFile,
    capture: () => {
      if (core === undefined) throw new Error("snapshot requested before the core exists");
      return core.capture();
    },
    debounceMs: config.save.debounceMs,
    maxDelayMs: config.save.maxDelayMs,
    journal,
    onSaved: (saved) => telemetry.metrics.recordSnapshot(saved.durationMs / 1000),
    onError: (err) => logger.error({ err }, "snapshot save failed; retrying"),
    onFailed: () => telemetry.metrics.recordSnapshotFailure(),
  });
  core = new SspCore({
    circuit,
    edges,
    hub,
    journal,
    snapshotter,
    telemetry,
    logger,
    journalPosition,
    outboxReadyLimit: config.outboxReadyLimit,
    parser,
    viewLimits: config.viewLimits,
    incarnation,
    stoppedCleanly: () => endIncarnation(config.dataDir, incarnation),
    outboxStuckMs: config.outboxStuckMs,
    inputLimits: config.inputLimits,
    maxViewsPerClient: config.quotas.maxViewsPerClient,
  });
  telemetry.metrics.observeGauges({ parserAvailable: () => (parser.health().state === "unrecoverable" ? 0 : 1) });
  return core;
}

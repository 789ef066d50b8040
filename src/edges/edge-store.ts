/**
 * The edge layer's public face: what the server calls after each circuit mutation.
 * Every `apply*` validates its input first (a bad input throws and queues nothing),
 * then goes through the one ordered EdgeWriter, and resolves "committed" or
 * "pending" (safely in the outbox); with nothing to write it resolves "committed"
 * at once.
 */
import type { Member, ViewDelta, ViewSpec } from "../circuit/index.js";
import { SurrealConnection } from "../surreal/index.js";
import { EdgeWriter, type RetryPolicy } from "./edge-writer.js";
import { loadMigrations, migrate } from "./migrations.js";
import { ingestOp, memberRefs, registerOp, viewMeta } from "./ops.js";
import { Outbox, type SetAsideEntry } from "./outbox.js";
import {
  silentLogger,
  type EdgeDatabase,
  type EdgeLogger,
  type EdgeMetric,
  type EdgeStatementKind,
  type ResyncResult,
  type WriteStatus,
} from "./types.js";

export interface EdgeStoreOptions {
  /** `surrealkv://path`, `mem://`, `ws://host:port` or `wss://…`. */
  readonly url: string;
  readonly namespace: string;
  readonly database: string;
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
  /** Where the durable outbox lives. */
  readonly dataDir: string;
  readonly logger?: EdgeLogger | undefined;
  readonly onMetric?: ((metric: EdgeMetric) => void) | undefined;
  readonly transactionTimeoutMs?: number | undefined;
  readonly retry?: RetryPolicy | undefined;
  /** A connect attempt that has not finished after this long is abandoned and retried (default 5 s). */
  readonly connectTimeoutMs?: number | undefined;
  /** Wraps the connection before the writer uses it (tests inject faults into the real connection). */
  readonly wrapDatabase?: ((db: EdgeDatabase) => EdgeDatabase) | undefined;
}

/** A view and its membership, as the circuit holds it (a ViewState fits). */
export interface ViewMembership {
  readonly spec: ViewSpec;
  readonly members: readonly Member[];
}

export interface EdgeStoreStats {
  readonly roundTrips: number;
  readonly failedRoundTrips: number;
  readonly edgeOperations: Readonly<Record<EdgeStatementKind, number>>;
  readonly pending: number;
  /** Entries SurrealDB refused for good, set aside and not yet repaired. */
  readonly setAside: number;
}

/** Connects (running the migrations on every connect), opens the outbox, starts the writer. */
export async function openEdgeStore(options: EdgeStoreOptions): Promise<EdgeStore> {
  const migrations = await loadMigrations();
  const logger = options.logger ?? silentLogger;
  const connection = await SurrealConnection.open({
    url: options.url,
    namespace: options.namespace,
    database: options.database,
    user: options.user,
    pass: options.pass,
    logger,
    connectTimeoutMs: options.connectTimeoutMs,
    onConnected: async (db) => {
      const { from, to } = await migrate(db, migrations);
      if (from !== to) logger.info({ from, to }, "SurrealDB edge schema migrated");
    },
  });
  return createEdgeStore({ ...options, database: options.wrapDatabase?.(connection) ?? connection, logger });
}

/** An EdgeStore over an already open database (tests wrap the connection to count or fail). */
export async function createEdgeStore(options: {
  readonly database: EdgeDatabase;
  readonly dataDir: string;
  readonly logger?: EdgeLogger | undefined;
  readonly onMetric?: ((metric: EdgeMetric) => void) | undefined;
  readonly transactionTimeoutMs?: number | undefined;
  readonly retry?: RetryPolicy | undefined;
  readonly maxTransactionBytes?: number | undefined;
}): Promise<EdgeStore> {
  const outbox = await Outbox.open(options.dataDir);
  return new EdgeStore(options.database, outbox, options);
}

export class EdgeStore {
  readonly #db: EdgeDatabase;
  readonly #writer: EdgeWriter;
  readonly #operations: Record<EdgeStatementKind, number> = { relate: 0, delete: 0, metadata: 0, unregister: 0, reset: 0, resync: 0 };
  #roundTrips = 0;
  #failedRoundTrips = 0;
  #setAsideListener: (entry: SetAsideEntry) => void = () => {};

  constructor(
    db: EdgeDatabase,
    outbox: Outbox,
    options: {
      readonly logger?: EdgeLogger | undefined;
      readonly onMetric?: ((metric: EdgeMetric) => void) | undefined;
      readonly transactionTimeoutMs?: number | undefined;
      readonly retry?: RetryPolicy | undefined;
      readonly maxTransactionBytes?: number | undefined;
    },
  ) {
    this.#db = db;
    const onMetric = options.onMetric;
    this.#writer = new EdgeWriter({
      database: db,
      outbox,
      logger: options.logger ?? silentLogger,
      transactionTimeoutMs: options.transactionTimeoutMs,
      retry: options.retry,
      maxTransactionBytes: options.maxTransactionBytes,
      onSetAside: (entry) => this.#setAsideListener(entry),
      onMetric: (metric) => {
        if (metric.kind === "roundTrip") {
          this.#roundTrips++;
          if (!metric.ok) this.#failedRoundTrips++;
        } else if (metric.kind === "edgeOperations") this.#operations[metric.operation] += metric.count;
        onMetric?.(metric);
      },
    });
  }

  /** The edge writes of one ingest or batch (the circuit's per-view deltas): one transaction. */
  async applyIngest(views: readonly ViewDelta[]): Promise<WriteStatus> {
    const op = ingestOp(views);
    if (op === undefined) return "committed";
    return (await this.#writer.enqueue(op)).status;
  }

  /**
   * A registration. Pass the circuit's `replaced` delta when the id replaced a view:
   * then only the difference is written (one round trip). Without it, the view's
   * edges are made equal to `members` (two round trips: read, then write the difference).
   */
  async applyRegister(spec: ViewSpec, members: readonly Member[], replaced?: ViewDelta): Promise<WriteStatus> {
    return (await this.#writer.enqueue(registerOp(spec, members, replaced))).status;
  }

  /** Removes the view's metadata and every edge from it: one round trip. */
  async applyUnregister(viewId: string): Promise<WriteStatus> {
    return (await this.#writer.enqueue({ kind: "unregister", viewId })).status;
  }

  /** Removes every `_spooky_incantation` and `_spooky_list_ref` record: one round trip. */
  async applyReset(): Promise<WriteStatus> {
    return (await this.#writer.enqueue({ kind: "reset" })).status;
  }

  /** Makes one view's metadata and edges in SurrealDB equal to `view`. */
  resyncView(view: ViewMembership): Promise<ResyncResult> {
    return this.#resync([view], false);
  }

  /**
   * Makes all of SSP's metadata and edges equal to `views`: views missing from the
   * list lose their metadata and edges. Supersedes whatever waits in the outbox.
   */
  resyncAll(views: readonly ViewMembership[]): Promise<ResyncResult> {
    return this.#resync(views, true);
  }

  /** Ops waiting in the durable outbox (`ssp_outbox_pending`). */
  pending(): number {
    return this.#writer.pending();
  }

  /**
   * Writes SurrealDB refused for good, set aside so later ones could go on; the
   * views each names have stale edges until a resync (or unregister/reset) of
   * them commits. Kept across restarts.
   */
  setAside(): readonly SetAsideEntry[] {
    return this.#writer.setAside();
  }

  /** When the oldest write waiting in the outbox entered it; undefined when none waits. */
  oldestPendingAt(): number | undefined {
    return this.#writer.oldestPendingAt();
  }

  /** `listener` hears of each write set aside (one listener; the core uses it to resync). */
  onSetAside(listener: (entry: SetAsideEntry) => void): void {
    this.#setAsideListener = listener;
  }

  /** For readiness: why SurrealDB does not answer, as precisely as known. */
  unreachableReason(): string {
    const reason = this.#db.unavailableReason?.();
    return reason === undefined ? "SurrealDB does not answer" : `SurrealDB does not answer: ${reason}`;
  }

  /** For readiness: SurrealDB answers now. */
  isReachable(): Promise<boolean> {
    return this.#db.isReachable();
  }

  /** Resolves when every write requested so far is committed or in the outbox. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Resolves when nothing is queued and the outbox is empty. */
  drained(): Promise<void> {
    return this.#writer.drained();
  }

  stats(): EdgeStoreStats {
    return {
      roundTrips: this.#roundTrips,
      failedRoundTrips: this.#failedRoundTrips,
      edgeOperations: { ...this.#operations },
      pending: this.pending(),
      setAside: this.setAside().length,
    };
  }

  /** Writes what is queued (or moves it to the outbox), then closes the connection. */
  async close(): Promise<void> {
    await this.#writer.close();
    await this.#db.close();
  }

  async #resync(views: readonly ViewMembership[], all: boolean): Promise<ResyncResult> {
    const op = { kind: "resync", all, views: views.map((v) => ({ meta: viewMeta(v.spec), members: memberRefs(v.members) })) } as const;
    const outcome = await this.#writer.enqueue(op);
    const counts = outcome.counts ?? { added: 0, removed: 0, updated: 0, viewsRemoved: 0 };
    return { status: outcome.status, ...counts };
  }
}

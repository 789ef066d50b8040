/**
 * The Core the server calls: the circuit, the journal, the edge store, the delta
 * hub and the snapshotter, put together.
 *
 * A mutation is one task of the writer queue, and every step of that task is
 * synchronous: apply to the circuit (which validates first and throws before
 * changing anything), hand the edge writes to the edge store, append to the
 * journal (both assign their order on the call) and hand the deltas to the hub
 * with the journal position. So the circuit, the journal, the streams and
 * SurrealDB all see mutations in one order. The RPC then waits, outside the
 * queue, for the journal's fsync and the edge commit (or the outbox), which is
 * what lets both group-commit the mutations that arrive together.
 *
 * What reaches a client is durable. The hub delivers a message only once the
 * journal position of the state it shows is fsynced (hub.durable is told after
 * each group commit), and GetView/ListViews answer once the state they read is.
 * After a crash, recovery replays every fsynced entry, and the circuit is
 * deterministic, so each (view, sequence) a client saw names the same delta
 * after the restart and a cursor continues exactly. What recovery cannot prove
 * (the journal off, a state set aside) changes the incarnation instead, so old
 * cursors get a reset snapshot.
 *
 * Once the journal has failed, nothing can be made durable and the circuit may
 * hold a mutation that is not: every mutation and read is refused (UNAVAILABLE),
 * open streams end, and readiness fails until a restart recovers from disk.
 */
import type { Logger } from "pino";
import {
  CircuitError,
  type Circuit,
  type CircuitSnapshot,
  type ParserEvent,
  type QueryLimits,
  type RecordChange,
  type SurrealQLParser,
  tableOfRecordId,
  type ViewDelta,
  type ViewSpec,
  type ViewState,
} from "../circuit/index.js";
import type { EdgeStore, SetAsideEntry } from "../edges/index.js";
import { JournalError, type Journal, type Snapshotter } from "../persistence/index.js";
import type {
  Core,
  CoreInfo,
  EdgeState,
  EdgesOutcome,
  IngestOutcome,
  Readiness,
  RegisterOutcome,
  ResyncOutcome,
  SaveOutcome,
  WatchEvent,
  WatchRequest,
} from "../server/core.js";
import { DeliveryHaltedError, type DeltaHub, type WatchMessage } from "../streaming/index.js";
import {
  ATTR_SSP_EDGE_OPERATIONS,
  ATTR_SSP_VIEWS_AFFECTED,
  ATTR_SSP_VIEW_ID,
  EVENT_STREAM_SNAPSHOT,
  SPAN_CIRCUIT_INGEST,
  SPAN_EDGES_WRITE,
  SPAN_JOURNAL_APPEND,
  SPAN_SNAPSHOT_SAVE,
  EDGE_OPERATIONS,
  addSpanEvent,
  type EdgeOperation,
  type IngestOp,
  type Telemetry,
} from "../telemetry/index.js";
import { checkChanges, checkViewSpec, type InputLimits } from "./input-limits.js";
import type { JournalEntry } from "./journal-entry.js";
import { journalUnavailable, reasonOf, snapshotFailed } from "./storage-errors.js";
import { checkViewQuota } from "./view-quota.js";
import { WriterQueue } from "./writer-queue.js";

export interface CoreParts {
  readonly circuit: Circuit;
  readonly edges: EdgeStore;
  readonly hub: DeltaHub;
  /** Undefined when the journal is switched off (SSP_JOURNAL=0). */
  readonly journal: Journal<JournalEntry> | undefined;
  readonly snapshotter: Snapshotter<CircuitSnapshot>;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** The journal position the recovered state covers (what a snapshot covers while the journal is off). */
  readonly journalPosition: number;
  /** Readiness fails while the outbox holds more than this many edge writes. */
  readonly outboxReadyLimit: number;
  /** The parser the circuit compiles views with: the core waits for it, reports its health and logs its restarts. */
  readonly parser: SurrealQLParser;
  /** Bounds on a registered view's query. */
  readonly viewLimits: QueryLimits;
  /** The lineage of states that sequence numbers belong to (see create-core). */
  readonly incarnation: string;
  /** Told after close() saved the final state: what clients saw is all on disk. */
  readonly stoppedCleanly?: () => Promise<void>;
  /** Readiness fails while the oldest edge write in the outbox has waited longer than this. */
  readonly outboxStuckMs: number;
  /** Size limits checked before a mutation enters the writer queue. */
  readonly inputLimits: InputLimits;
  /** SSP_MAX_VIEWS_PER_CLIENT, checked in the writer queue (view-quota.ts); no quota when absent. */
  readonly maxViewsPerClient?: number | undefined;
}

/** Times a registration waits for a restarting parser before answering UNAVAILABLE. */
const PARSER_WAITS = 3;

/** What a mutation task hands back: its result and the completions to await. */
interface Applied<T> {
  readonly result: T;
  readonly edgeWrite: Promise<EdgeState> | undefined;
  /** Tells the hub, with the mutation's journal position (run right after the append). */
  readonly announce: (position: number) => void;
}

type EdgeCounts = Record<EdgeOperation, number>;

const NO_OPERATIONS: EdgeCounts = { create: 0, update: 0, delete: 0 };
const EDGE_OPERATION_OF = { CREATED: "create", UPDATED: "update", DELETED: "delete" } as const;

/** Edge operations by kind: one per delta (CREATED relates, UPDATED sets the version, DELETED removes). */
function countDeltas(views: readonly ViewDelta[]): EdgeCounts {
  const counts = { ...NO_OPERATIONS };
  for (const view of views) for (const delta of view.deltas) counts[EDGE_OPERATION_OF[delta.event]]++;
  return counts;
}

export class SspCore implements Core {
  private readonly parts: CoreParts;
  private readonly queue = new WriterQueue();
  private readonly stopParserEvents: () => void;
  private journalFailureLogged = false;
  /** The last journal append: it settles once every entry up to it is durable (or the journal failed). */
  private lastAppend: Promise<unknown> = Promise.resolve();

  constructor(parts: CoreParts) {
    this.parts = parts;
    this.stopParserEvents = parts.parser.onEvent((event) => this.onParserEvent(event));
    parts.hub.durable(parts.journal?.lastPosition ?? 0);
    parts.edges.onSetAside((entry) => this.repairSetAside(entry));
  }

  private onParserEvent(event: ParserEvent): void {
    const { logger, telemetry } = this.parts;
    switch (event.kind) {
      case "trap":
        logger.warn({ err: event.message, query: event.query }, "the SurrealQL parser trapped on a view's query; starting a fresh instance");
        return;
      case "restarted":
        telemetry.metrics.recordParserRestart();
        logger.warn({ restarts: event.restarts, attempts: event.attempts }, "a fresh SurrealQL parser instance took over");
        return;
      case "unrecoverable":
        logger.error({ err: event.message }, "the SurrealQL parser cannot be recovered: views cannot be registered until SSP restarts");
        return;
    }
  }

  /**
   * The state and the journal position it covers, captured together (for the
   * snapshotter): the journal assigns a position when an entry is appended, in
   * the same synchronous step that applied it to the circuit.
   */
  capture(): { state: CircuitSnapshot; journalPosition: number } {
    const { circuit, journal, journalPosition } = this.parts;
    return { state: circuit.exportState(), journalPosition: journal?.lastAppendedPosition ?? journalPosition };
  }

  async ingest(changes: readonly RecordChange[]): Promise<IngestOutcome> {
    const { circuit, edges, hub, telemetry } = this.parts;
    checkChanges(changes, this.parts.inputLimits);
    const { result, edges: edgeState } = await this.mutate({ kind: "ingest", changes }, () => {
      const started = performance.now();
      const result = telemetry.withSpan(SPAN_CIRCUIT_INGEST, undefined, (span) => {
        const r = circuit.ingest(changes);
        span.setAttribute(ATTR_SSP_VIEWS_AFFECTED, r.views.length);
        return r;
      });
      this.recordIngest(changes, result.stale, (performance.now() - started) / 1000);
      const edgeWrite =
        result.views.length === 0 ? undefined : this.writeEdges(countDeltas(result.views), () => edges.applyIngest(result.views));
      return { result, edgeWrite, announce: (position) => hub.publish(result.views, position) };
    });
    return { ...result, edges: edgeState };
  }

  async registerView(spec: ViewSpec): Promise<RegisterOutcome> {
    const { parser } = this.parts;
    // A registration queued behind one that trapped the parser finds it restarting:
    // it waits for the fresh instance (milliseconds) rather than failing.
    for (let wait = 1; ; wait++) {
      await parser.whenReady();
      try {
        return await this.register(spec);
      } catch (err) {
        if (!(err instanceof CircuitError && err.code === "UNAVAILABLE" && parser.health().state === "restarting" && wait < PARSER_WAITS)) throw err;
      }
    }
  }

  private async register(spec: ViewSpec): Promise<RegisterOutcome> {
    const { circuit, edges, hub, viewLimits } = this.parts;
    checkViewSpec(spec, this.parts.inputLimits);
    const { result, edges: edgeState } = await this.mutate({ kind: "register", spec }, () => {
      checkViewQuota(circuit, spec, this.parts.maxViewsPerClient);
      const result = circuit.registerView(spec, viewLimits);
      const counts = result.replaced === undefined ? { ...NO_OPERATIONS, create: result.view.members.length } : countDeltas([result.replaced]);
      const edgeWrite = this.writeEdges(counts, () => edges.applyRegister(spec, result.view.members, result.replaced));
      return { result, edgeWrite, announce: (position) => hub.viewRegistered(spec.id, spec.clientId, result.replaced, position) };
    });
    return { view: result.view, replaced: result.replaced, edges: edgeState };
  }

  async unregisterView(id: string): Promise<EdgesOutcome> {
    const { circuit, edges, hub } = this.parts;
    const { edges: edgeState } = await this.mutate({ kind: "unregister", id }, () => {
      const result = circuit.unregisterView(id);
      const counts = { ...NO_OPERATIONS, delete: result.view.members.length };
      return {
        result,
        edgeWrite: this.writeEdges(counts, () => edges.applyUnregister(id)),
        announce: (position) => hub.viewUnregistered(id, result.view.sequence, position),
      };
    });
    return { edges: edgeState };
  }

  async reset(): Promise<EdgesOutcome> {
    const { circuit, edges, hub } = this.parts;
    const { edges: edgeState } = await this.mutate({ kind: "reset" }, () => {
      const removed = circuit.listViews().reduce((sum, view) => sum + view.memberCount, 0);
      circuit.reset();
      return {
        result: undefined,
        edgeWrite: this.writeEdges({ ...NO_OPERATIONS, delete: removed }, () => edges.applyReset()),
        announce: (position) => hub.reset(position),
      };
    });
    return { edges: edgeState };
  }

  /**
   * The view as of the last mutation applied, answered once that mutation is
   * durable: its sequence is then one a WatchDeltas cursor continues from, and
   * never one a crash could give to other content.
   */
  async getView(id: string): Promise<ViewState | undefined> {
    this.assertJournalWritable();
    const view = this.parts.circuit.getView(id);
    await this.durableNow();
    return view;
  }

  /** Like getView: the views as of the last mutation applied, once it is durable. */
  async listViews(clientId?: string) {
    this.assertJournalWritable();
    const views = this.parts.circuit.listViews(clientId);
    await this.durableNow();
    return views;
  }

  async *watch(request: WatchRequest, signal: AbortSignal): AsyncIterable<WatchEvent> {
    this.assertJournalWritable();
    const position = this.appliedPosition();
    let stream: AsyncIterable<WatchMessage>;
    try {
      stream = this.parts.hub.subscribe(
        {
          viewIds: request.viewIds,
          clientId: request.clientId,
          resumeFrom: request.resumeFrom,
          incarnation: request.incarnation,
          includeRecords: request.includeRecords,
          owner: request.owner,
          endsAt: request.endsAt,
        },
        signal,
        position,
      );
    } catch (err) {
      // "No such view" describes the state too: not before that state is durable.
      await this.lastAppend.catch(() => undefined);
      throw err;
    }
    for await (const message of stream) {
      if (message.kind === "snapshot") addSpanEvent(EVENT_STREAM_SNAPSHOT, { [ATTR_SSP_VIEW_ID]: message.viewId });
      yield this.toWatchEvent(message);
    }
  }

  async save(): Promise<SaveOutcome> {
    this.assertJournalWritable();
    try {
      const saved = await this.parts.telemetry.withSpan(SPAN_SNAPSHOT_SAVE, undefined, () => this.parts.snapshotter.saveNow());
      return { bytes: saved.bytes, durationMs: saved.durationMs };
    } catch (error) {
      this.assertJournalWritable();
      throw snapshotFailed(error) ?? error;
    }
  }

  /**
   * Rebuilds SurrealDB's edges from the circuit's membership. It runs in the
   * writer queue so the membership it reads and the edge writes already queued
   * are in one order.
   */
  async resyncEdges(viewId?: string): Promise<ResyncOutcome> {
    const { circuit, edges } = this.parts;
    const pending = await this.queue.run(() => {
      if (viewId !== undefined && viewId !== "") {
        const view = circuit.getView(viewId);
        if (view === undefined) throw new CircuitError("NOT_FOUND", `view ${JSON.stringify(viewId)} is not registered`);
        return edges.resyncView(view);
      }
      return edges.resyncAll(allViews(circuit));
    });
    const { added, removed, updated } = await pending;
    return { added, removed, updated };
  }

  info(): CoreInfo {
    const stats = this.parts.circuit.stats();
    return {
      views: stats.views,
      records: stats.records,
      streams: this.parts.hub.streamCount(),
      outboxPending: this.parts.edges.pending(),
      incarnation: this.parts.incarnation,
    };
  }

  async readiness(): Promise<Readiness> {
    const { edges, outboxReadyLimit, outboxStuckMs, journal, snapshotter } = this.parts;
    const reachable = await edges.isReachable().catch(() => false);
    const pending = edges.pending();
    const oldest = edges.oldestPendingAt();
    const waitedMs = oldest === undefined ? 0 : Date.now() - oldest;
    const outbox =
      pending > outboxReadyLimit
        ? { ok: false, detail: `${pending} edge writes pending, over the limit of ${outboxReadyLimit}` }
        : waitedMs > outboxStuckMs
          ? {
              ok: false,
              detail: `the oldest of ${pending} pending edge writes has waited ${Math.round(waitedMs / 1000)} s, over SSP_OUTBOX_STUCK_MS (${outboxStuckMs} ms)`,
            }
          : { ok: true, detail: `${pending} pending` };
    const setAside = edges.setAside();
    const parser = this.parts.parser.health();
    const parserOk = parser.state !== "unrecoverable";
    const journalFailure = journal?.failure;
    const saveFailure = snapshotter.failure;
    return {
      ready: reachable && outbox.ok && setAside.length === 0 && parserOk && journalFailure === undefined && saveFailure === undefined,
      checks: {
        parser: parserOk
          ? { ok: true, detail: parser.state === "ready" ? `restarts: ${parser.restarts}` : `restarting: ${parser.detail}` }
          : { ok: false, detail: `unrecoverable: ${parser.detail}` },
        journal:
          journalFailure === undefined
            ? { ok: true, detail: journal === undefined ? "off (SSP_JOURNAL=0)" : "writable" }
            : { ok: false, detail: `cannot write; mutations and reads are refused until SSP restarts: ${journalFailure.message}` },
        snapshot:
          saveFailure === undefined
            ? { ok: true }
            : {
                ok: false,
                detail: `the last save failed ${Math.round((performance.now() - saveFailure.at) / 1000)} s ago (retried): ${reasonOf(saveFailure.error)}`,
              },
        surrealdb: reachable ? { ok: true } : { ok: false, detail: edges.unreachableReason() },
        state: { ok: true, detail: "loaded" },
        outbox,
        edges: setAside.length === 0 ? { ok: true } : { ok: false, detail: describeSetAside(setAside) },
      },
    };
  }

  /** Edge writes SurrealDB refused for good and that are not repaired yet (`ssp_outbox_set_aside`). */
  setAsideCount(): number {
    return this.parts.edges.setAside().length;
  }

  /** Ends the streams, saves the state, closes the journal and the database. */
  async close(): Promise<void> {
    const { hub, snapshotter, journal, edges, logger } = this.parts;
    this.stopParserEvents();
    hub.close();
    await this.queue.idle();
    const saved = await snapshotter.close();
    logger.info({ bytes: saved.bytes, duration_ms: Math.round(saved.durationMs) }, "state saved");
    await journal?.close();
    await this.parts.stoppedCleanly?.();
    await edges.close();
  }

  /**
   * Runs one mutation in the writer queue: `apply` changes the circuit and starts
   * the edge write; the entry goes to the journal only once `apply` succeeded, so
   * a rejected mutation leaves no trace. Resolves when the entry is durable and
   * the edge writes are committed (or in the outbox).
   */
  private async mutate<T>(entry: JournalEntry, apply: () => Applied<T>): Promise<{ result: T; edges: EdgeState }> {
    const { journal, snapshotter, telemetry } = this.parts;
    const { applied, durable } = await this.queue.run(() => {
      // A broken journal can make nothing durable: refuse before touching any state.
      this.assertJournalWritable();
      const applied = apply();
      let durable: Promise<unknown> | undefined;
      let position = 0;
      if (journal !== undefined) {
        const before = journal.lastAppendedPosition;
        durable = telemetry.withSpan(SPAN_JOURNAL_APPEND, undefined, () => journal.append(entry));
        this.track(durable);
        // A refused append (a failed journal) takes no position: never deliver it; the hub is halted next.
        position = journal.lastAppendedPosition > before ? journal.lastAppendedPosition : Number.POSITIVE_INFINITY;
      }
      applied.announce(position);
      snapshotter.schedule();
      return { applied, durable };
    });
    const written = durable?.catch((error: unknown) => {
      // Not durable, so not acknowledged. The circuit already holds the mutation;
      // reads are refused from now on, and a restart recovers without it.
      if (!(error instanceof JournalError)) throw error;
      if (!this.journalFailureLogged) {
        this.journalFailureLogged = true;
        this.parts.logger.error({ err: error }, "journal write failed: mutations and reads are refused, and readiness fails, until SSP restarts");
      }
      throw journalUnavailable(error);
    });
    const [edges] = await Promise.all([applied.edgeWrite ?? Promise.resolve<EdgeState>("none"), written]);
    return { result: applied.result, edges };
  }

  /** Throws UNAVAILABLE once the journal has failed: the state may hold mutations it could not make durable. */
  private assertJournalWritable(): void {
    const failure = this.parts.journal?.failure;
    if (failure !== undefined) throw journalUnavailable(failure);
  }

  /** The journal position of the state the circuit shows now (0 without a journal: nothing to wait for). */
  private appliedPosition(): number {
    return this.parts.journal?.lastAppendedPosition ?? 0;
  }

  /**
   * Reports each group commit to the hub. Every append of a batch resolves after
   * the batch's fsync, in order, so the first one to resolve already sees the
   * whole batch in `lastPosition`; the rest report nothing new.
   */
  private track(append: Promise<unknown>): void {
    const { hub, journal } = this.parts;
    this.lastAppend = append;
    append.then(
      () => hub.durable(journal!.lastPosition),
      (err: unknown) => hub.halt(new DeliveryHaltedError(`the journal cannot make mutations durable: ${(err as Error).message}`)),
    );
  }

  /** Resolves once every mutation applied so far is durable; UNAVAILABLE if it never can be. */
  private async durableNow(): Promise<void> {
    const journal = this.parts.journal;
    if (journal === undefined || journal.lastPosition >= journal.lastAppendedPosition) return;
    try {
      await this.lastAppend;
    } catch (err) {
      throw new DeliveryHaltedError(`the journal cannot make mutations durable: ${(err as Error).message}`);
    }
  }

  /** Starts an edge write (synchronously, so its order is the call order) under an `edges.write` span. */
  private writeEdges(counts: EdgeCounts, write: () => Promise<"committed" | "pending">): Promise<EdgeState> {
    const { telemetry } = this.parts;
    return telemetry.withSpan(SPAN_EDGES_WRITE, undefined, async (span) => {
      const status = await write();
      span.setAttribute(ATTR_SSP_EDGE_OPERATIONS, counts.create + counts.update + counts.delete);
      for (const operation of EDGE_OPERATIONS) {
        if (counts[operation] > 0) telemetry.metrics.recordEdgeOperations(operation, counts[operation]);
      }
      return status;
    });
  }

  /**
   * An edge write was set aside: try once to repair its views by resyncing them
   * from the circuit (a resync that is itself refused is not retried, so a view
   * SurrealDB keeps refusing cannot loop; ResyncEdges remains).
   */
  private repairSetAside(entry: SetAsideEntry): void {
    const { logger } = this.parts;
    if (entry.kind === "resync") return;
    const { circuit } = this.parts;
    // A view no longer registered needs its edges removed: only a full resync does that.
    const views = entry.views === "all" || entry.views.some((id) => circuit.getView(id) === undefined) ? [undefined] : entry.views;
    for (const view of views) {
      this.resyncEdges(view).then(
        (counts) => logger.info({ view_id: view ?? "(all)", ...counts }, "edges resynced after a write was set aside"),
        (err: unknown) => logger.warn({ err, view_id: view ?? "(all)" }, "resync after a set-aside edge write failed"),
      );
    }
  }

  private recordIngest(changes: readonly RecordChange[], stale: number, seconds: number): void {
    const { metrics } = this.parts.telemetry;
    const each = seconds / Math.max(1, changes.length);
    for (const change of changes) {
      // An applied change's id parsed, so its table is known (and `table`, when set, equals it).
      const table = change.table || (tableOfRecordId(change.id) ?? "");
      metrics.recordIngest(table, change.op.toLowerCase() as IngestOp, each);
    }
    for (let i = 0; i < stale; i++) metrics.recordStaleIngest();
  }

  private toWatchEvent(message: WatchMessage): WatchEvent {
    if (message.kind !== "delta") return message;
    const records = new Map<string, NonNullable<(typeof message.deltas)[number]["record"]>>();
    for (const delta of message.deltas) if (delta.record !== undefined) records.set(delta.id.text, delta.record);
    return {
      kind: "delta",
      delta: {
        viewId: message.viewId,
        clientId: message.clientId,
        sequence: message.sequence,
        deltas: message.deltas.map(({ id, event, version }) => ({ id, event, version })),
      },
      records: records.size === 0 ? undefined : records,
    };
  }
}

/** The readiness detail for writes set aside: how many, which views are stale, why, and the fix. */
function describeSetAside(entries: readonly SetAsideEntry[]): string {
  const views = new Set<string>();
  let all = false;
  for (const e of entries) {
    if (e.views === "all") all = true;
    else for (const v of e.views) views.add(v);
  }
  const shown = [...views].slice(0, 10).map((v) => JSON.stringify(v));
  const which = all ? "every view" : `view${views.size === 1 ? "" : "s"} ${shown.join(", ")}${views.size > shown.length ? ` and ${views.size - shown.length} more` : ""}`;
  return (
    `${entries.length} edge write${entries.length === 1 ? "" : "s"} refused by SurrealDB and set aside; ` +
    `edges of ${which} are stale until ResyncEdges repairs them; last refusal: ${entries.at(-1)?.reason ?? ""}`
  );
}

/** Every view with its membership, for a full resync. */
export function allViews(circuit: Circuit): ViewState[] {
  const views: ViewState[] = [];
  for (const summary of circuit.listViews()) {
    const view = circuit.getView(summary.spec.id);
    if (view !== undefined) views.push(view);
  }
  return views;
}

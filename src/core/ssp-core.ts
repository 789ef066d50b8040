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
import { JournalError, type Journal, type Snapshotter, type SourcePositions } from "../persistence/index.js";
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
  WatchRequest,
} from "./core-api.js";
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
import { applyToCircuit, unknownMutation, type CircuitEffect, type EffectOf, type Mutation } from "./mutation.js";
import { journalUnavailable, reasonOf, snapshotFailed } from "./storage-errors.js";
import { checkViewQuota } from "./view-quota.js";
import { WriterQueue } from "./writer-queue.js";

export interface CoreParts {
  readonly circuit: Circuit;
  readonly edges: EdgeStore;
  readonly hub: DeltaHub;
  /** Undefined when the journal is switched off (SSP_JOURNAL=0). */
  readonly journal: Journal<Mutation> | undefined;
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
   * The state and the source positions it covers, captured together (for the
   * snapshotter): the journal assigns a position when an entry is appended, in
   * the same synchronous step that applied it to the circuit.
   */
  capture(): { state: CircuitSnapshot; positions: SourcePositions } {
    const { circuit, journal, journalPosition } = this.parts;
    return { state: circuit.exportState(), positions: { journal: journal?.lastAppendedPosition ?? journalPosition } };
  }

  async ingest(changes: readonly RecordChange[]): Promise<IngestOutcome> {
    const { effect, edges } = await this.apply({ kind: "ingest", changes });
    return { ...effect.result, edges };
  }

  async registerView(spec: ViewSpec): Promise<RegisterOutcome> {
    const { parser } = this.parts;
    // A registration queued behind one that trapped the parser finds it restarting:
    // it waits for the fresh instance (milliseconds) rather than failing.
    for (let wait = 1; ; wait++) {
      await parser.whenReady();
      try {
        const { effect, edges } = await this.apply({ kind: "register", spec });
        return { view: effect.result.view, replaced: effect.result.replaced, edges };
      } catch (err) {
        if (!(err instanceof CircuitError && err.code === "UNAVAILABLE" && parser.health().state === "restarting" && wait < PARSER_WAITS)) throw err;
      }
    }
  }

  async unregisterView(id: string): Promise<EdgesOutcome> {
    const { edges } = await this.apply({ kind: "unregister", id });
    return { edges };
  }

  async reset(): Promise<EdgesOutcome> {
    const { edges } = await this.apply({ kind: "reset" });
    return { edges };
  }

  /**
   * The one path of a live mutation, whoever produced it. In the writer queue,
   * synchronously: refuse if the journal has failed; apply to the circuit (which
   * validates first and throws before changing anything); start the edge write;
   * append to the journal (only once the circuit accepted it, so a refused
   * mutation leaves no trace); tell the hub with the journal position; schedule
   * a snapshot. Then, outside the queue: resolves once the mutation is durable
   * and its edge writes are committed (or in the outbox).
   */
  async apply<M extends Mutation>(mutation: M): Promise<{ effect: EffectOf<M["kind"]>; edges: EdgeState }> {
    const { journal, snapshotter, telemetry } = this.parts;
    this.checkInput(mutation);
    const { effect, edgeWrite, durable } = await this.queue.run(() => {
      // A broken journal can make nothing durable: refuse before touching any state.
      this.assertJournalWritable();
      const effect = this.applyLive(mutation);
      const edgeWrite = this.writeEdgesOf(effect);
      let durable: Promise<unknown> | undefined;
      let position = 0;
      if (journal !== undefined) {
        const before = journal.lastAppendedPosition;
        durable = telemetry.withSpan(SPAN_JOURNAL_APPEND, undefined, () => journal.append(mutation));
        this.track(durable);
        // A refused append (a failed journal) takes no position: never deliver it; the hub is halted next.
        position = journal.lastAppendedPosition > before ? journal.lastAppendedPosition : Number.POSITIVE_INFINITY;
      }
      this.announce(effect, position);
      snapshotter.schedule();
      return { effect, edgeWrite, durable };
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
    const [edges] = await Promise.all([edgeWrite ?? Promise.resolve<EdgeState>("none"), written]);
    return { effect, edges };
  }

  /** Size limits, checked before a mutation enters the writer queue. */
  private checkInput(mutation: Mutation): void {
    const { inputLimits } = this.parts;
    switch (mutation.kind) {
      case "ingest":
        return checkChanges(mutation.changes, inputLimits);
      case "register":
        return checkViewSpec(mutation.spec, inputLimits);
      case "unregister":
      case "reset":
        return;
      default:
        return unknownMutation(mutation);
    }
  }

  /** Applies a live mutation to the circuit; an ingest under its span, and counted. */
  private applyLive<M extends Mutation>(mutation: M): EffectOf<M["kind"]> {
    const { circuit, telemetry, viewLimits } = this.parts;
    const mode = { kind: "live", viewLimits } as const;
    if (mutation.kind === "register") {
      // In the queue, so concurrent registrations see each other's views.
      checkViewQuota(circuit, mutation.spec, this.parts.maxViewsPerClient);
      const effect = applyToCircuit(circuit, mutation, mode);
      declareViewTables(circuit, telemetry, mutation.spec.id);
      return effect;
    }
    if (mutation.kind !== "ingest") return applyToCircuit(circuit, mutation, mode);
    const started = performance.now();
    const effect = telemetry.withSpan(SPAN_CIRCUIT_INGEST, undefined, (span) => {
      const applied = applyToCircuit(circuit, { kind: "ingest", changes: mutation.changes }, mode);
      span.setAttribute(ATTR_SSP_VIEWS_AFFECTED, applied.result.views.length);
      return applied;
    });
    this.recordIngest(mutation.changes, effect.result.stale, (performance.now() - started) / 1000);
    return effect as EffectOf<M["kind"]>;
  }

  /** Starts the mutation's edge writes (undefined: it has none). */
  private writeEdgesOf(effect: CircuitEffect): Promise<EdgeState> | undefined {
    const { edges } = this.parts;
    switch (effect.kind) {
      case "ingest": {
        const { views } = effect.result;
        return views.length === 0 ? undefined : this.writeEdges(countDeltas(views), () => edges.applyIngest(views));
      }
      case "register": {
        const { spec, result } = effect;
        const counts = result.replaced === undefined ? { ...NO_OPERATIONS, create: result.view.members.length } : countDeltas([result.replaced]);
        return this.writeEdges(counts, () => edges.applyRegister(spec, result.view.members, result.replaced));
      }
      case "unregister":
        return this.writeEdges({ ...NO_OPERATIONS, delete: effect.result.view.members.length }, () => edges.applyUnregister(effect.id));
      case "reset":
        return this.writeEdges({ ...NO_OPERATIONS, delete: effect.removed }, () => edges.applyReset());
      default:
        return unknownMutation(effect);
    }
  }

  /** Tells the hub, with the mutation's journal position (run right after the append). */
  private announce(effect: CircuitEffect, position: number): void {
    const { hub } = this.parts;
    switch (effect.kind) {
      case "ingest":
        return hub.publish(effect.result.views, position);
      case "register":
        return hub.viewRegistered(effect.spec.id, effect.spec.clientId, effect.result.replaced, position);
      case "unregister":
        return hub.viewUnregistered(effect.id, effect.result.view.sequence, position);
      case "reset":
        return hub.reset(position);
      default:
        return unknownMutation(effect);
    }
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

  async *watch(request: WatchRequest, signal: AbortSignal): AsyncIterable<WatchMessage> {
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
      yield message;
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

/**
 * Exports `ssp_ingest_total` at zero for the tables a view reads (on registration
 * and on restore), so alerts on them work before their first ingest.
 */
export function declareViewTables(circuit: Circuit, telemetry: Telemetry, viewId: string): void {
  for (const table of circuit.tablesOf(viewId)) telemetry.metrics.declareTable(table);
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

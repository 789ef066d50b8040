/**
 * The delta hub: fans the circuit's per-view deltas out to WatchDeltas streams.
 *
 * Everything here is synchronous, and JS runs one thing at a time, so a stream
 * takes its snapshots and joins the subscriber indices in the same step: a delta
 * is either already in the snapshot or delivered after it, never both, never
 * neither. publish() costs O(deltas + streams following the affected views):
 * streams are indexed by view id and by client id, and a slow stream is cut off
 * rather than waited for.
 *
 * Each view has a bounded replay log shared by all streams, so a client that
 * reconnects with its cursors gets exactly the deltas it missed.
 *
 * Durability: every call that changes what streams see takes the journal
 * position of its mutation, and subscribe() the position of the state the
 * source shows now. The hub computes at once (so deltas, snapshots and bodies
 * are read from the state they describe) but every message it queues waits in
 * its stream until durable(position) covers it. Positions arrive in journal
 * order, so each stream's queue stays in journal order and per-view order holds
 * whatever mix of snapshots, deltas, "closed" and resets it holds.
 */
import type { Delta, RecordId, ViewDelta, ViewState } from "../circuit/index.js";
import { DeliveryGate } from "./delivery-gate.js";
import { HubClosedError, InvalidWatchRequestError, ResetError, ViewNotFoundError, WatchPermissionError } from "./errors.js";
import { ReplayLog, type LogEntry } from "./replay-log.js";
import { StreamQuota } from "./stream-quota.js";
import { Subscriber, type Queued } from "./subscriber.js";
import type {
  DeltaHubOptions,
  DeltaMessage,
  RecordBody,
  SnapshotMessage,
  ViewSource,
  WatchDelta,
  WatchMessage,
  WatchRequest,
} from "./types.js";

export class DeltaHub {
  private readonly byView = new Map<string, Set<Subscriber>>();
  private readonly byClient = new Map<string, Set<Subscriber>>();
  private readonly subscribers = new Set<Subscriber>();
  private readonly logs = new Map<string, ReplayLog>();
  private readonly now: () => number;
  private readonly gate = new DeliveryGate();
  private readonly incarnation: string;
  private readonly quota: StreamQuota | undefined;
  private closed = false;
  /** Set when nothing can become durable any more: every stream ended with it. */
  private halted: Error | undefined;

  constructor(
    private readonly source: ViewSource,
    private readonly options: DeltaHubOptions,
  ) {
    requireInteger("replayLogSize", options.replayLogSize, 0);
    requireInteger("queueLimit", options.queueLimit, 1);
    requireInteger("heartbeatMs", options.heartbeatMs, 0);
    this.now = options.now ?? Date.now;
    this.incarnation = options.incarnation ?? "";
    this.quota = options.quotas === undefined ? undefined : new StreamQuota(options.quotas);
  }

  /**
   * Everything up to journal position `position` is durable: messages waiting
   * for it are delivered. Positions never go back.
   */
  durable(position: number): void {
    this.gate.advance(position);
  }

  /** The last position durable(…) reported. */
  get durablePosition(): number {
    return this.gate.position;
  }

  /**
   * Nothing can become durable any more (the journal failed): every stream ends
   * with `error` and no new stream opens. Messages still waiting are never
   * delivered.
   */
  halt(error: Error): void {
    this.halted ??= error;
    // Streams that already finished (close()) but still wait for durability are the gate's to end.
    this.gate.halt(error);
    for (const subscriber of [...this.subscribers]) subscriber.fail(error);
  }

  /**
   * The deltas of one mutation, at journal position `position` (0: durable
   * already). Call it for every mutation, in order, right after the circuit
   * applied it: a delta a stream already has (from a snapshot taken after the
   * mutation) is dropped; bodies for includeRecords are read now, so they match
   * the delta only if the circuit has not moved on. Streams deliver the deltas
   * once durable(position) covered them.
   */
  publish(deltas: readonly ViewDelta[], position = 0): void {
    const bodies = new BodyCache(this.source);
    for (const viewDelta of deltas) this.publishOne(viewDelta, bodies, position);
  }

  /**
   * A view was registered (or re-registered, `replaced` being the change of
   * membership) by the mutation at `position`. Streams of `clientId` that do not
   * follow it yet start with its snapshot; streams that followed it only as
   * another client's view get "closed" for it.
   */
  viewRegistered(viewId: string, clientId: string, replaced?: ViewDelta, position = 0): void {
    for (const subscriber of [...(this.byView.get(viewId) ?? [])]) {
      const viaClient = !subscriber.explicitViews.has(viewId);
      const foreign = subscriber.owner !== undefined && subscriber.owner !== clientId;
      if (foreign || (viaClient && subscriber.clientId !== clientId)) this.closeFor(subscriber, viewId, position);
    }
    const bodies = new BodyCache(this.source);
    if (replaced !== undefined) this.publishOne(replaced, bodies, position);
    const clientStreams = this.byClient.get(clientId);
    if (clientStreams === undefined || clientStreams.size === 0) return;
    const view = this.source.getView(viewId);
    if (view === undefined) return;
    // Built at most once per variant, and shared by every stream of the client.
    let bare: SnapshotMessage | undefined;
    let withRecords: SnapshotMessage | undefined;
    for (const subscriber of clientStreams) {
      if (subscriber.follows(viewId)) continue;
      this.index(this.byView, viewId, subscriber);
      const snapshot = subscriber.includeRecords
        ? (withRecords ??= this.snapshotOf(view, bodies, true, false))
        : (bare ??= this.snapshotOf(view, bodies, false, false));
      subscriber.snapshot(viewId, snapshot, position);
    }
  }

  /** A view was removed (at `position`): its followers get "closed" and its replay log goes. */
  viewUnregistered(viewId: string, lastSequence: number, position = 0): void {
    this.logs.delete(viewId);
    for (const subscriber of [...(this.byView.get(viewId) ?? [])]) {
      this.closeFor(subscriber, viewId, position, lastSequence);
    }
  }

  /**
   * The state was reset (at `position`): every stream ends with a ResetError once
   * that is durable, and takes nothing more meanwhile; the hub stays open.
   */
  reset(position = 0): void {
    this.logs.clear();
    for (const subscriber of [...this.subscribers]) subscriber.failAt(new ResetError(), position);
  }

  /**
   * Opens a stream. Throws before streaming anything: InvalidWatchRequestError
   * for a malformed request, ViewNotFoundError when a named view is unknown,
   * HubClosedError after close(), WatchPermissionError when an owner-scoped
   * request reaches beyond its owner, StreamQuotaError when it would go over a
   * stream quota (checked last, so a refused request takes no slot). The stream ends when `signal` aborts, when
   * the consumer stops iterating, on close() (cleanly, after what is queued) or
   * with an error (StreamOverflowError, ResetError, StreamExpiredError).
   *
   * `position` is the journal position of the state the source shows now: the
   * stream's snapshots are delivered once it is durable.
   */
  subscribe(request: WatchRequest, signal: AbortSignal, position = 0): AsyncIterableIterator<WatchMessage> {
    if (this.halted !== undefined) throw this.halted;
    if (this.closed) throw new HubClosedError();
    const clientId = request.clientId === "" ? undefined : request.clientId;
    validate(request, clientId);

    const views = new Map<string, ViewState>();
    const missing: string[] = [];
    for (const id of request.viewIds) {
      const view = this.source.getView(id);
      if (view === undefined) missing.push(id);
      else views.set(id, view);
    }
    if (request.owner !== undefined) checkOwner(request.owner, clientId, views, missing);
    if (missing.length > 0) throw new ViewNotFoundError([...new Set(missing)]);
    if (clientId !== undefined) {
      for (const id of this.source.viewIdsOfClient(clientId)) {
        const view = views.has(id) ? undefined : this.source.getView(id);
        if (view !== undefined) views.set(id, view);
      }
    }

    // Taken in this synchronous step, with the stream's registration below: no concurrent open can slip in between.
    const release = this.quota?.acquire(quotaClients(request, clientId)) ?? (() => undefined);
    const subscriber = new Subscriber(
      {
        queueLimit: this.options.queueLimit,
        heartbeatMs: this.options.heartbeatMs,
        now: this.now,
        includeRecords: request.includeRecords,
        clientId,
        explicitViews: new Set(request.viewIds),
        owner: request.owner,
        endsAt: request.endsAt,
        onEnd: (ended) => {
          release();
          this.forget(ended);
        },
        gate: this.gate,
      },
      signal,
    );
    if (signal.aborted) {
      void subscriber.return(); // resolved already: it only stops the subscriber
      return subscriber;
    }
    this.subscribers.add(subscriber);
    if (clientId !== undefined) this.index(this.byClient, clientId, subscriber);
    const bodies = new BodyCache(this.source);
    // Cursors of another incarnation may name sequences this one issued for other content.
    const sameIncarnation = request.incarnation === undefined || request.incarnation === "" || request.incarnation === this.incarnation;
    for (const [id, view] of views) {
      this.index(this.byView, id, subscriber);
      this.start(subscriber, view, request.resumeFrom.get(id), sameIncarnation, bodies, position);
    }
    return subscriber;
  }

  /** Shutdown: every stream delivers what is queued and ends; no new streams. */
  close(): void {
    this.closed = true;
    for (const subscriber of [...this.subscribers]) subscriber.finish();
    this.logs.clear();
  }

  streamCount(): number {
    return this.subscribers.size;
  }

  /** Open streams the quota counts, in all or against one client (0 without quotas). */
  quotaCount(client?: string): number {
    return this.quota?.count(client) ?? 0;
  }

  private publishOne(viewDelta: ViewDelta, bodies: BodyCache, position: number): void {
    // After close() nobody can resume from this process: keep no logs.
    if (this.closed || viewDelta.deltas.length === 0) return;
    const followers = this.byView.get(viewDelta.viewId);
    const log = this.logFor(viewDelta.viewId);
    if (log === undefined && followers === undefined) return;

    const bare: DeltaMessage = {
      kind: "delta",
      viewId: viewDelta.viewId,
      clientId: viewDelta.clientId,
      sequence: viewDelta.sequence,
      deltas: viewDelta.deltas,
    };
    const needsBodies = log !== undefined || someWantRecords(followers);
    const entry: LogEntry = {
      sequence: viewDelta.sequence,
      position,
      bare,
      withRecords: needsBodies ? { ...bare, deltas: viewDelta.deltas.map((d) => withBody(d, bodies)) } : bare,
    };
    log?.append(entry);
    if (followers === undefined) return;
    for (const subscriber of followers) {
      if (subscriber.offer(viewDelta.viewId, entry) !== "gap") continue;
      // The stream missed a delta (publish was skipped for it): replace its state.
      const view = this.source.getView(viewDelta.viewId);
      if (view !== undefined) {
        subscriber.snapshot(viewDelta.viewId, this.snapshotOf(view, bodies, subscriber.includeRecords, true), position);
      }
    }
  }

  /**
   * A view's first messages in a new stream: a snapshot (at `position`), or the
   * replay after a cursor (each entry at its own position). A cursor equal to the
   * view's sequence continues with nothing to replay; one ahead of it, older than
   * the log, or of another incarnation gets a snapshot marked reset.
   */
  private start(
    subscriber: Subscriber,
    view: ViewState,
    cursor: number | undefined,
    sameIncarnation: boolean,
    bodies: BodyCache,
    position: number,
  ): void {
    const id = view.spec.id;
    if (cursor !== undefined && sameIncarnation) {
      const missed = cursor === view.sequence ? [] : this.logs.get(id)?.since(cursor, view.sequence);
      if (missed !== undefined) {
        const messages = missed.map((entry) => ({
          message: subscriber.includeRecords ? entry.withRecords : entry.bare,
          position: entry.position,
        }));
        subscriber.start(id, view.sequence, messages, cursor);
        return;
      }
    }
    const snapshot: Queued = { message: this.snapshotOf(view, bodies, subscriber.includeRecords, cursor !== undefined), position };
    subscriber.start(id, view.sequence, [snapshot]);
  }

  private snapshotOf(view: ViewState, bodies: BodyCache, includeRecords: boolean, reset: boolean): SnapshotMessage {
    const snapshot: SnapshotMessage = {
      kind: "snapshot",
      viewId: view.spec.id,
      sequence: view.sequence,
      members: view.members,
      reset,
      incarnation: this.incarnation,
    };
    if (!includeRecords) return snapshot;
    const records = new Map<string, RecordBody>();
    for (const member of view.members) {
      const body = bodies.get(member.id);
      if (body !== undefined) records.set(member.id.text, body);
    }
    return { ...snapshot, records };
  }

  private logFor(viewId: string): ReplayLog | undefined {
    if (this.options.replayLogSize === 0) return undefined;
    let log = this.logs.get(viewId);
    if (log === undefined) {
      log = new ReplayLog(this.options.replayLogSize);
      this.logs.set(viewId, log);
    }
    return log;
  }

  private closeFor(subscriber: Subscriber, viewId: string, position: number, sequence?: number): void {
    const last = sequence ?? subscriber.lastQueuedSequence(viewId) ?? 0;
    this.unindex(this.byView, viewId, subscriber);
    subscriber.close(viewId, last, position);
    // A stream of named views only has nothing left to wait for.
    if (subscriber.clientId === undefined && subscriber.followCount === 0) subscriber.finish();
  }

  private forget(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    for (const viewId of subscriber.followedViews()) this.unindex(this.byView, viewId, subscriber);
    if (subscriber.clientId !== undefined) this.unindex(this.byClient, subscriber.clientId, subscriber);
  }

  private index(map: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    set.add(subscriber);
  }

  private unindex(map: Map<string, Set<Subscriber>>, key: string, subscriber: Subscriber): void {
    const set = map.get(key);
    if (set === undefined) return;
    set.delete(subscriber);
    if (set.size === 0) map.delete(key);
  }
}

/**
 * Record bodies read during one hub step. The state cannot change within a step,
 * and a body is often wanted many times in it (one record in many views, one
 * snapshot for many streams), while reading one may cost a conversion.
 */
class BodyCache {
  private bodies: Map<string, RecordBody | undefined> | undefined;

  constructor(private readonly source: ViewSource) {}

  get(id: RecordId): RecordBody | undefined {
    this.bodies ??= new Map();
    if (this.bodies.has(id.text)) return this.bodies.get(id.text);
    const body = this.source.getRecord(id)?.body;
    this.bodies.set(id.text, body);
    return body;
  }
}

function withBody(delta: Delta, bodies: BodyCache): WatchDelta {
  if (delta.event === "DELETED") return delta;
  const record = bodies.get(delta.id);
  return record === undefined ? delta : { id: delta.id, event: delta.event, version: delta.version, record };
}

function someWantRecords(subscribers: ReadonlySet<Subscriber> | undefined): boolean {
  if (subscribers === undefined) return false;
  for (const subscriber of subscribers) if (subscriber.includeRecords) return true;
  return false;
}

function validate(request: WatchRequest, clientId: string | undefined): void {
  if (request.viewIds.length === 0 && clientId === undefined) {
    throw new InvalidWatchRequestError("WatchDeltas needs view ids, a client id, or both");
  }
  for (const [viewId, cursor] of request.resumeFrom) {
    if (!Number.isSafeInteger(cursor) || cursor < 0) {
      throw new InvalidWatchRequestError(`resume cursor for view ${JSON.stringify(viewId)} must be a non-negative integer, got ${cursor}`);
    }
  }
}

/**
 * The clients a stream counts against (stream-quota.ts): its owner and its
 * client id. The views it names do not make it their client's stream: a
 * backend following a popular view for many users holds one stream each, and
 * those count in all, not against the view's client.
 */
function quotaClients(request: WatchRequest, clientId: string | undefined): Set<string> {
  const clients = new Set<string>();
  if (request.owner !== undefined) clients.add(request.owner);
  if (clientId !== undefined) clients.add(clientId);
  return clients;
}

/** Checked before anything is streamed: a scoped stream never starts on a view that is not its owner's. */
function checkOwner(owner: string, clientId: string | undefined, views: ReadonlyMap<string, ViewState>, missing: readonly string[]): void {
  if (clientId !== undefined && clientId !== owner) {
    throw new WatchPermissionError(`this credential may only watch client ${JSON.stringify(owner)}, not ${JSON.stringify(clientId)}`);
  }
  const refused = [...new Set([...missing, ...[...views.values()].filter((v) => v.spec.clientId !== owner).map((v) => v.spec.id)])];
  if (refused.length > 0) {
    throw new WatchPermissionError(
      `not a registered view of client ${JSON.stringify(owner)}: ${refused.map((id) => JSON.stringify(id)).join(", ")}`,
    );
  }
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`DeltaHub option ${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

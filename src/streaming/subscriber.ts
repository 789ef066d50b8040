/**
 * One WatchDeltas stream: the views it follows, a bounded queue of messages for
 * its consumer, and the async iterator the server reads from.
 *
 * The hub pushes synchronously and never waits: a consumer that falls
 * `queueLimit` messages behind is cut off with a StreamOverflowError (its
 * messages are dropped at once, so a stalled client holds no memory), and the
 * client resumes from the cursors the error carries.
 *
 * Every queued message carries the journal position of the state it shows, and
 * leaves the queue only from its head and only once the delivery gate says that
 * position is durable (see DeliveryGate): nothing is ever handed out early, and
 * queue order (so per-view order) is kept. The hub pushes in journal order, so
 * positions rarely go down (only a new stream's replayed deltas, all at or below
 * its own position), and waiting on the head alone delays nothing by much.
 *
 * Invariants: for each followed view, `lastQueued` is the sequence of the last
 * snapshot or delta queued for it, and the deltas queued after it are exactly
 * lastQueued+1, +2, … (the hub drops repeats and turns gaps into snapshots).
 * While a consumer waits in next(), the queue is empty or its head is not yet
 * durable (and the stream then waits on the gate).
 */
import type { DeliveryGate, GateWaiter } from "./delivery-gate.js";
import { StreamExpiredError, StreamOverflowError } from "./errors.js";
import type { LogEntry } from "./replay-log.js";
import type { SnapshotMessage, WatchMessage } from "./types.js";

export interface SubscriberOptions {
  readonly queueLimit: number;
  readonly heartbeatMs: number;
  readonly now: () => number;
  readonly includeRecords: boolean;
  /** Set when the stream follows a client's views, present and future. */
  readonly clientId: string | undefined;
  /** Views the request named explicitly (as opposed to through the client id). */
  readonly explicitViews: ReadonlySet<string>;
  /** Set when the stream is confined to one client's views (WatchRequest.owner). */
  readonly owner: string | undefined;
  /** When set, the stream ends at this time with a StreamExpiredError. */
  readonly endsAt: number | undefined;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd: (subscriber: Subscriber) => void;
  /** Says which journal positions are durable; messages wait for theirs. */
  readonly gate: DeliveryGate;
}

/** A message and the journal position that must be durable before it is delivered. */
export interface Queued {
  readonly message: WatchMessage;
  readonly position: number;
}

export type OfferResult = "queued" | "repeat" | "gap";

interface Waiter {
  resolve(result: IteratorResult<WatchMessage>): void;
  reject(error: unknown): void;
}

const DONE: IteratorResult<WatchMessage> = { value: undefined, done: true };

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Subscriber implements AsyncIterableIterator<WatchMessage>, GateWaiter {
  readonly includeRecords: boolean;
  readonly clientId: string | undefined;
  readonly explicitViews: ReadonlySet<string>;
  readonly owner: string | undefined;

  private readonly lastQueued = new Map<string, number>();
  /** Last sequence handed to the consumer per view: the resume cursors. */
  private readonly delivered = new Map<string, number>();

  private queue: (WatchMessage | undefined)[] = [];
  /** The journal position of each queued message, parallel to `queue`. */
  private positions: number[] = [];
  private head = 0;
  /** Messages at the front of the queue that do not count toward the limit. */
  private uncounted = 0;
  private readonly waiters: Waiter[] = [];
  private released = false;

  /** No more messages are accepted; the queue drains, then the iterator is done. */
  private ending = false;
  /** An error to throw from the next next() call (the queue is already dropped). */
  private failure: Error | undefined;
  /** An error that ends the stream once `position` is durable (a reset not yet durable). */
  private failureAt: { readonly error: Error; readonly position: number } | undefined;
  private ended = false;

  private lastActivity: number;
  private heartbeat: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: SubscriberOptions,
    private readonly signal: AbortSignal,
  ) {
    this.includeRecords = options.includeRecords;
    this.clientId = options.clientId;
    this.explicitViews = options.explicitViews;
    this.owner = options.owner;
    this.lastActivity = options.now();
    if (options.heartbeatMs > 0) this.scheduleHeartbeat(options.heartbeatMs);
    if (options.endsAt !== undefined) this.scheduleExpiry(options.endsAt);
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  follows(viewId: string): boolean {
    return this.lastQueued.has(viewId);
  }

  followedViews(): IterableIterator<string> {
    return this.lastQueued.keys();
  }

  get followCount(): number {
    return this.lastQueued.size;
  }

  get isOpen(): boolean {
    return !this.ending && !this.ended;
  }

  /**
   * Starts following a view with its first messages (a snapshot, or the deltas
   * replayed after the client's cursor). `resumedFrom` is the client's cursor
   * when the view continues from it. Called only while the stream opens, so
   * these messages sit at the front of the queue; they never count toward the
   * queue limit: a stream must be able to start however many views it follows.
   */
  start(viewId: string, sequence: number, initial: readonly Queued[], resumedFrom?: number): void {
    this.lastQueued.set(viewId, sequence);
    if (resumedFrom !== undefined) this.delivered.set(viewId, resumedFrom);
    for (const { message, position } of initial) this.push(message, false, position);
  }

  /** Queues a view's next delta; a repeat (or an unfollowed view) is dropped, a gap is left to the caller. */
  offer(viewId: string, entry: LogEntry): OfferResult {
    const last = this.lastQueued.get(viewId);
    if (last === undefined || entry.sequence <= last) return "repeat";
    if (entry.sequence !== last + 1) return "gap";
    this.lastQueued.set(viewId, entry.sequence);
    this.push(this.includeRecords ? entry.withRecords : entry.bare, true, entry.position);
    return "queued";
  }

  /** Starts following a view later on, or replaces its state after a gap; `position`: the state's. */
  snapshot(viewId: string, snapshot: SnapshotMessage, position: number): void {
    this.lastQueued.set(viewId, snapshot.sequence);
    this.push(snapshot, true, position);
  }

  /** Stops following a view, telling the consumer with a final message once `position` is durable. */
  close(viewId: string, sequence: number, position: number): void {
    if (!this.lastQueued.delete(viewId)) return;
    this.push({ kind: "closed", viewId, sequence }, true, position);
  }

  lastQueuedSequence(viewId: string): number | undefined {
    return this.lastQueued.get(viewId);
  }

  /** Ends cleanly: what is queued is still delivered, then the iterator is done. */
  finish(): void {
    if (!this.isOpen) return;
    this.ending = true;
    this.release();
    if (this.size() === 0) this.settleWaiters();
  }

  /** Ends at once with an error; queued messages are dropped. Also ends a finishing stream. */
  fail(error: Error): void {
    if (this.ended || this.failure !== undefined) return;
    this.failureAt = undefined;
    this.options.gate.cancel(this);
    this.dropQueue();
    this.ending = true;
    this.release();
    const first = this.waiters.shift();
    if (first === undefined) this.failure = error;
    else {
      this.ended = true;
      first.reject(error);
    }
    this.settleWaiters();
  }

  /**
   * Ends with an error once `position` is durable (what the error reports has
   * not happened for the consumer before then); nothing more is queued, and
   * what is queued stays deliverable until then.
   */
  failAt(error: Error, position: number): void {
    if (!this.isOpen) return;
    if (this.options.gate.isDurable(position)) {
      this.fail(error);
      return;
    }
    this.failureAt = { error, position };
    this.ending = true;
    this.release();
    if (this.waiters.length > 0) this.options.gate.wait(this);
  }

  next(): Promise<IteratorResult<WatchMessage>> {
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      this.ended = true;
      return Promise.reject(error);
    }
    if (this.failureAt !== undefined && this.options.gate.isDurable(this.failureAt.position)) {
      const { error } = this.failureAt;
      this.fail(error);
      return this.next();
    }
    const message = this.dequeue();
    if (message !== undefined) {
      if (this.ending && this.size() === 0 && this.failureAt === undefined) this.ended = true;
      return Promise.resolve({ value: message, done: false });
    }
    if (this.ended || (this.ending && this.size() === 0 && this.failureAt === undefined)) {
      this.ended = true;
      return Promise.resolve(DONE);
    }
    // Nothing durable to hand out yet: wait for a push or for the gate (unless it never will).
    const halted = this.options.gate.halted;
    if (halted !== undefined && this.heldBack()) {
      this.fail(halted);
      return this.next();
    }
    if (this.heldBack()) this.options.gate.wait(this);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** The durable position advanced (or never will): hand waiting consumers what became deliverable. */
  wake(): void {
    const halted = this.options.gate.halted;
    if (halted !== undefined && this.heldBack()) {
      this.fail(halted);
      return;
    }
    if (this.failureAt !== undefined && this.options.gate.isDurable(this.failureAt.position)) {
      this.fail(this.failureAt.error);
      return;
    }
    this.serveWaiters();
  }

  /** The consumer stopped reading (break out of for-await, or the call ended). */
  return(): Promise<IteratorResult<WatchMessage>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  throw(): Promise<IteratorResult<WatchMessage>> {
    this.stop();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private readonly onAbort = (): void => this.stop();

  private stop(): void {
    this.options.gate.cancel(this);
    this.dropQueue();
    this.failure = undefined;
    this.failureAt = undefined;
    this.ending = true;
    this.ended = true;
    this.release();
    this.settleWaiters();
  }

  private push(message: WatchMessage, counted: boolean, position = 0): void {
    if (!this.isOpen) return;
    this.lastActivity = this.options.now();
    if (this.size() === 0 && this.options.gate.isDurable(position)) {
      const waiter = this.waiters.shift();
      if (waiter !== undefined) {
        this.noteDelivered(message);
        waiter.resolve({ value: message, done: false });
        return;
      }
    }
    if (counted && this.size() - this.uncounted >= this.options.queueLimit) {
      this.fail(new StreamOverflowError(this.options.queueLimit, new Map(this.delivered)));
      return;
    }
    if (!counted) this.uncounted++;
    this.queue.push(message);
    this.positions.push(position);
    if (this.waiters.length > 0) this.options.gate.wait(this);
  }

  /** Something is queued (or a failure pending) that waits for the gate. */
  private heldBack(): boolean {
    return this.size() > 0 || this.failureAt !== undefined;
  }

  /** Resolves waiting consumers with the durable head of the queue; waits on the gate for the rest. */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const message = this.dequeue();
      if (message === undefined) break;
      this.waiters.shift()!.resolve({ value: message, done: false });
    }
    if (this.waiters.length > 0 && this.ending && this.size() === 0 && this.failureAt === undefined) this.settleWaiters();
    if (this.waiters.length === 0 || (this.size() === 0 && this.failureAt === undefined)) this.options.gate.cancel(this);
  }

  /** The head of the queue, if its position is durable. */
  private dequeue(): WatchMessage | undefined {
    if (this.head >= this.queue.length) return undefined;
    if (!this.options.gate.isDurable(this.positions[this.head]!)) return undefined;
    const message = this.queue[this.head]!;
    this.queue[this.head] = undefined;
    this.head++;
    if (this.uncounted > 0) this.uncounted--;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.positions = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.positions = this.positions.slice(this.head);
      this.head = 0;
    }
    this.noteDelivered(message);
    return message;
  }

  private size(): number {
    return this.queue.length - this.head;
  }

  private dropQueue(): void {
    this.queue = [];
    this.positions = [];
    this.head = 0;
    this.uncounted = 0;
  }

  private noteDelivered(message: WatchMessage): void {
    switch (message.kind) {
      case "snapshot":
      case "delta":
        this.delivered.set(message.viewId, message.sequence);
        break;
      case "closed":
        this.delivered.delete(message.viewId);
        break;
      case "heartbeat":
        break;
    }
  }

  private settleWaiters(): void {
    if (this.waiters.length > 0) this.ended = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(DONE);
  }

  /** Detaches from the hub, the timer and the signal; runs once. */
  private release(): void {
    if (this.heartbeat !== undefined) clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    if (this.expiry !== undefined) clearTimeout(this.expiry);
    this.expiry = undefined;
    this.signal.removeEventListener("abort", this.onAbort);
    if (this.released) return;
    this.released = true;
    this.options.onEnd(this);
  }

  /**
   * One timer per stream, never touched on the delivery path: when it fires it
   * checks how long the stream has been quiet and either sends a heartbeat or
   * sleeps for the rest of the interval.
   */
  private scheduleHeartbeat(delay: number): void {
    this.heartbeat = setTimeout(() => {
      if (!this.isOpen) return;
      const interval = this.options.heartbeatMs;
      const now = this.options.now();
      const quiet = now - this.lastActivity;
      if (quiet < interval) {
        this.scheduleHeartbeat(interval - quiet);
      } else {
        // A consumer with messages waiting is slow, not idle: no heartbeat.
        if (this.size() === 0) this.push({ kind: "heartbeat", at: now }, false);
        this.scheduleHeartbeat(interval);
      }
    }, delay);
    this.heartbeat.unref();
  }

  /**
   * Ends the stream at `endsAt` with the cursors of what the consumer took.
   * setTimeout holds at most 2^31-1 ms (about 24.8 days; a longer delay fires
   * at once), so a far expiry is reached in steps.
   */
  private scheduleExpiry(endsAt: number): void {
    // Never fails synchronously: the hub indexes the stream after constructing it.
    const remaining = Math.max(0, endsAt - this.options.now());
    this.expiry = setTimeout(() => {
      if (!this.isOpen) return;
      if (this.options.now() >= endsAt) this.fail(new StreamExpiredError(endsAt, new Map(this.delivered)));
      else this.scheduleExpiry(endsAt);
    }, Math.min(remaining, MAX_TIMER_MS));
    this.expiry.unref();
  }
}

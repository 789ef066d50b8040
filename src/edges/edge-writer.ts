/**
 * The ordered edge-write queue, with group commit and the durable outbox.
 *
 * Invariants:
 * - One transaction in flight at a time, and ops reach SurrealDB in enqueue order.
 * - Ops enqueued while a transaction is in flight are merged into the next one.
 * - A caller's promise settles "committed" when its transaction commits, or
 *   "pending" once its op is fsynced in the outbox (the transaction failed or took
 *   longer than `transactionTimeoutMs`).
 * - While the outbox holds anything, every new op goes behind it, and the outbox
 *   is retried from its head with backoff until it is empty again.
 * - A resync of all views rebuilds everything from the circuit, so outbox entries
 *   before it are dropped rather than replayed.
 * - An entry SurrealDB refuses for good (permanent-errors.ts) does not block the
 *   ones behind it: it is set aside, durably, and the views it wrote stay marked
 *   stale until an op that rebuilds or removes their edges commits (a register,
 *   resync, unregister or reset). A merged transaction that fails for good is
 *   retried entry by entry, so only the entry at fault is set aside. Later ops
 *   still commit in order; skipping one only leaves its views' edges behind the
 *   circuit, which is what the repair fixes.
 */
import { needsRead, opViews, opWeight, repairedViews } from "./ops.js";
import type { Outbox, OutboxEntry, SetAsideEntry } from "./outbox.js";
import { isPermanentFailure } from "./permanent-errors.js";
import { planReadOp } from "./resync.js";
import { compileTransaction, planBlindOps, splitSegment, type CompiledTransaction } from "./transaction.js";
import type { BackoffPolicy } from "../surreal/index.js";
import type { EdgeDatabase, EdgeLogger, EdgeMetric, EdgeOp, ResyncCounts, WriteStatus } from "./types.js";

export interface WriteOutcome {
  readonly status: WriteStatus;
  /** For register and resync ops that committed: what they changed. */
  readonly counts?: ResyncCounts;
}

export type RetryPolicy = BackoffPolicy;

export interface EdgeWriterOptions {
  readonly database: EdgeDatabase;
  readonly outbox: Outbox;
  readonly logger: EdgeLogger;
  readonly onMetric?: ((metric: EdgeMetric) => void) | undefined;
  /** After this long a transaction's callers are answered "pending" (default 10 s). */
  readonly transactionTimeoutMs?: number | undefined;
  /** Backoff between outbox retries (default 100 ms doubling to 5 s, with jitter). */
  readonly retry?: RetryPolicy | undefined;
  /** Upper bounds for one merged transaction (defaults 1,000 ops / 20,000 edge rows). */
  readonly maxBatchOps?: number | undefined;
  readonly maxBatchWeight?: number | undefined;
  /**
   * About how much view metadata one transaction of a registration or resync
   * carries before its writes are split (default 16 MiB; embedded SurrealDB
   * refuses a transaction of about 100 MB).
   */
  readonly maxTransactionBytes?: number | undefined;
  /** Told about each entry set aside (after it is durable). */
  readonly onSetAside?: ((entry: SetAsideEntry) => void) | undefined;
}

interface Entry {
  readonly op: EdgeOp;
  readonly resolve: (outcome: WriteOutcome) => void;
  readonly reject: (error: Error) => void;
}

type Attempt =
  | { readonly kind: "committed"; readonly counts: ResyncCounts | undefined }
  | { readonly kind: "failed"; readonly error: unknown }
  | { readonly kind: "timeout"; readonly late: Promise<Attempt> };

export class EdgeWriter {
  readonly #db: EdgeDatabase;
  readonly #outbox: Outbox;
  readonly #logger: EdgeLogger;
  readonly #onMetric: (metric: EdgeMetric) => void;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #maxOps: number;
  readonly #maxWeight: number;
  readonly #maxBytes: number;
  readonly #onSetAside: (entry: SetAsideEntry) => void;

  #queue: Entry[] = [];
  /** Outbox entries up to this seq are tried one per transaction (a merge of them failed for good). */
  #isolateThrough = 0;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closing = false;
  #failures = 0;
  #last: Promise<unknown> = Promise.resolve();

  constructor(options: EdgeWriterOptions) {
    this.#db = options.database;
    this.#outbox = options.outbox;
    this.#logger = options.logger;
    this.#onMetric = options.onMetric ?? (() => {});
    this.#timeoutMs = options.transactionTimeoutMs ?? 10_000;
    this.#retry = options.retry ?? { initialMs: 100, maxMs: 5_000 };
    this.#maxOps = options.maxBatchOps ?? 1_000;
    this.#maxWeight = options.maxBatchWeight ?? 20_000;
    this.#maxBytes = options.maxTransactionBytes ?? 16 * 1024 * 1024;
    this.#onSetAside = options.onSetAside ?? (() => {});
    this.#onMetric({ kind: "outboxPending", pending: this.#outbox.size });
    // A restart with a non-empty outbox starts draining it at once.
    if (this.#outbox.size > 0) this.#kick();
  }

  enqueue(op: EdgeOp): Promise<WriteOutcome> {
    if (this.#closing) return Promise.reject(new Error("the edge writer is closed"));
    const outcome = new Promise<WriteOutcome>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#kick();
    });
    // Ops settle in enqueue order, so the last one settling means all have.
    this.#last = outcome;
    return outcome;
  }

  /** Ops waiting in the durable outbox. */
  pending(): number {
    return this.#outbox.size;
  }

  /** Entries set aside whose views are not repaired yet. */
  setAside(): readonly SetAsideEntry[] {
    return this.#outbox.setAside;
  }

  /** When the oldest op waiting in the outbox entered it; undefined when none waits. */
  oldestPendingAt(): number | undefined {
    return this.#outbox.oldestAt;
  }

  /** Resolves when every op enqueued so far is committed or in the outbox. */
  async flush(): Promise<void> {
    await this.#last.catch(() => undefined);
  }

  /** Resolves when the outbox is empty and nothing is queued (tests and shutdown). */
  async drained(): Promise<void> {
    while (this.#loop !== undefined) await this.#loop;
  }

  /**
   * Stops accepting ops, writes what is queued (or moves it to the outbox when
   * SurrealDB is failing) and stops retrying; the outbox is kept for the next start.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    await this.#loop;
    await this.#outbox.close();
  }

  #kick(): void {
    if (this.#loop !== undefined) {
      this.#wake?.();
      return;
    }
    this.#loop = this.#run()
      .catch((error: unknown) => this.#logger.error({ err: error }, "edge writer stopped on an unexpected error"))
      .finally(() => {
        this.#loop = undefined;
        if ((this.#queue.length > 0 || this.#outbox.size > 0) && !this.#closing) this.#kick();
      });
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#outbox.size > 0) {
        await this.#spill();
        if (this.#closing) return;
        await this.#drainStep();
        continue;
      }
      if (this.#queue.length === 0) return;
      await this.#directStep();
    }
  }

  /** Runs the next queued ops as one transaction. */
  async #directStep(): Promise<void> {
    const count = this.#batchLength(this.#queue.map((e) => e.op));
    const batch = this.#queue.splice(0, count);
    const attempt = await this.#attempt(batch.map((e) => e.op));
    if (attempt.kind === "committed") {
      await this.#repairAfter(batch.map((e) => e.op));
      for (const e of batch) e.resolve({ status: "committed", counts: attempt.counts });
      return;
    }
    this.#logFailure(attempt, batch.length);
    // Everything queued behind the failed batch must stay behind it: spill it all.
    const spilled = [...batch, ...this.#queue.splice(0)];
    const seqs = await this.#appendToOutbox(spilled);
    // Refused for good: the outbox retries these alone, to find the one at fault.
    if (attempt.kind === "failed" && isPermanentFailure(attempt.error) && seqs !== undefined) {
      this.#isolateThrough = Math.max(this.#isolateThrough, seqs[batch.length - 1] ?? 0);
    }
    if (attempt.kind === "timeout" && seqs !== undefined) {
      const late = await this.#awaitSpilling(attempt.late);
      if (late?.kind === "committed") {
        await this.#ack(seqs[batch.length - 1] ?? 0);
        await this.#repairAfter(batch.map((e) => e.op));
      }
    }
  }

  /** One attempt at the head of the outbox; on failure, waits out the backoff. */
  async #drainStep(): Promise<void> {
    await this.#skipSupersededEntries();
    const head = this.#outbox.peek(this.#maxOps);
    const isolated = head[0] !== undefined && head[0].seq <= this.#isolateThrough;
    const entries = head.slice(0, isolated ? 1 : this.#batchLength(head.map((e) => e.op)));
    const last = entries.at(-1);
    if (last === undefined) return;
    let attempt = await this.#awaitSpilling(this.#attempt(entries.map((e) => e.op)));
    if (attempt?.kind === "timeout") attempt = await this.#awaitSpilling(attempt.late);
    if (attempt === undefined) return;
    if (attempt.kind === "committed") {
      await this.#ack(last.seq);
      await this.#repairAfter(entries.map((e) => e.op));
      if (this.#outbox.size === 0) this.#logger.info({ attempts: this.#failures }, "edge outbox drained");
      this.#failures = 0;
      return;
    }
    if (attempt.kind === "failed" && isPermanentFailure(attempt.error)) {
      if (entries.length === 1) return this.#setAside(last, attempt.error);
      this.#logger.warn(
        { ops: entries.length, reason: errorMessage(attempt.error) },
        "SurrealDB refused a merged edge transaction; retrying its ops one by one",
      );
      this.#isolateThrough = Math.max(this.#isolateThrough, last.seq);
      return;
    }
    this.#logFailure(attempt, entries.length);
    await this.#backoff();
  }

  /** Takes an entry SurrealDB refuses for good out of line, so the ones behind it go on. */
  async #setAside(entry: OutboxEntry, error: unknown): Promise<void> {
    const views = opViews(entry.op);
    const reason = errorMessage(error).slice(0, 500);
    await this.#outbox.setAsideEntry(entry.seq, views, reason);
    this.#failures = 0;
    this.#logger.error(
      { seq: entry.seq, op: entry.op.kind, views, reason },
      "SurrealDB refused an edge write for good: set aside so later writes go on; these views' edges are stale until ResyncEdges repairs them",
    );
    this.#onMetric({ kind: "outboxPending", pending: this.#outbox.size });
    this.#onMetric({ kind: "setAside", op: entry.op.kind, stale: this.#outbox.setAside.length });
    const aside = this.#outbox.setAside.find((e) => e.seq === entry.seq);
    if (aside !== undefined) this.#onSetAside(aside);
  }

  /** After `ops` committed: the views they rebuilt or removed are no longer stale. */
  async #repairAfter(ops: readonly EdgeOp[]): Promise<void> {
    if (this.#outbox.setAside.length === 0) return;
    for (const op of ops) {
      const views = repairedViews(op);
      if (views !== undefined) await this.#outbox.repaired(views);
    }
    this.#onMetric({ kind: "outboxStale", stale: this.#outbox.setAside.length });
  }

  async #skipSupersededEntries(): Promise<void> {
    const head = this.#outbox.peek(Number.MAX_SAFE_INTEGER);
    let lastResyncAll = -1;
    head.forEach((e, i) => {
      if (e.op.kind === "resync" && e.op.all) lastResyncAll = i;
    });
    const before: OutboxEntry | undefined = head[lastResyncAll - 1];
    if (before !== undefined) {
      this.#logger.info({ dropped: lastResyncAll }, "edge outbox entries superseded by a full resync");
      await this.#ack(before.seq);
    }
  }

  /** How many of `ops` (from the front) go into the next transaction. */
  #batchLength(ops: readonly EdgeOp[]): number {
    const first = ops[0];
    if (first === undefined || needsRead(first)) return Math.min(1, ops.length);
    let weight = 0;
    let n = 0;
    for (const op of ops) {
      if (needsRead(op) || n >= this.#maxOps) break;
      weight += opWeight(op);
      if (n > 0 && weight > this.#maxWeight) break;
      n++;
    }
    return n;
  }

  /** Runs one transaction (two round trips for a read-then-write op). */
  #attempt(ops: readonly EdgeOp[]): Promise<Attempt> {
    const work = this.#transact(ops).then(
      (counts): Attempt => ({ kind: "committed", counts }),
      (error: unknown): Attempt => ({ kind: "failed", error }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Attempt>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout", late: work }), this.#timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  async #transact(ops: readonly EdgeOp[]): Promise<ResyncCounts | undefined> {
    const first = ops[0];
    if (first !== undefined && (first.kind === "register" || first.kind === "resync")) {
      const plan = await planReadOp(this.#timed(), first);
      for (const segment of splitSegment(plan.segment, this.#maxWeight, this.#maxBytes)) {
        await this.#commit(compileTransaction([{ kind: "segment", segment }]));
      }
      if (first.kind === "resync") this.#onMetric({ kind: "edgeOperations", operation: "resync", count: 1 });
      return plan.counts;
    }
    await this.#commit(compileTransaction(planBlindOps(ops)));
    return undefined;
  }

  async #commit(tx: CompiledTransaction): Promise<void> {
    await this.#timed().query(tx.text, tx.bindings);
    for (const [operation, count] of tx.operations) this.#onMetric({ kind: "edgeOperations", operation, count });
  }

  /** The database, reporting each round trip. */
  #timed(): EdgeDatabase {
    return {
      query: async (text, bindings) => {
        const start = performance.now();
        let ok = false;
        try {
          const result = await this.#db.query(text, bindings);
          ok = true;
          return result;
        } finally {
          this.#onMetric({ kind: "roundTrip", seconds: (performance.now() - start) / 1000, ok });
        }
      },
      isReachable: () => this.#db.isReachable(),
      close: () => this.#db.close(),
    };
  }

  /** Moves queued ops to the outbox (they are behind its backlog) and answers "pending". */
  async #spill(): Promise<void> {
    if (this.#queue.length === 0) return;
    await this.#appendToOutbox(this.#queue.splice(0));
  }

  async #appendToOutbox(entries: readonly Entry[]): Promise<number[] | undefined> {
    try {
      const seqs = await this.#outbox.append(entries.map((e) => e.op));
      this.#onMetric({ kind: "outboxPending", pending: this.#outbox.size });
      for (const e of entries) e.resolve({ status: "pending" });
      return seqs;
    } catch (error) {
      this.#logger.error({ err: error, ops: entries.length }, "cannot write the edge outbox");
      for (const e of entries) e.reject(error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
  }

  async #ack(seq: number): Promise<void> {
    await this.#outbox.ack(seq);
    this.#onMetric({ kind: "outboxPending", pending: this.#outbox.size });
  }

  /**
   * Waits for `promise` while answering newly enqueued ops "pending" as they come
   * (they are behind the outbox anyway). Returns undefined if the writer closes first.
   */
  async #awaitSpilling<T>(promise: Promise<T>): Promise<T | undefined> {
    let settled = false;
    let value: T | undefined;
    const done = promise.then((v) => {
      settled = true;
      value = v;
    });
    while (!settled && !this.#closing) {
      await Promise.race([done, this.#wakeSignal()]);
      this.#wake = undefined;
      await this.#spill();
    }
    return value;
  }

  async #backoff(): Promise<void> {
    this.#failures++;
    const base = Math.min(this.#retry.maxMs, this.#retry.initialMs * 2 ** Math.min(this.#failures - 1, 30));
    const delay = base * (0.75 + Math.random() * 0.5);
    let timer: NodeJS.Timeout | undefined;
    await this.#awaitSpilling(new Promise((resolve) => (timer = setTimeout(resolve, delay))));
    clearTimeout(timer);
  }

  #wakeSignal(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #logFailure(attempt: Exclude<Attempt, { kind: "committed" }>, ops: number): void {
    const reason = attempt.kind === "timeout" ? `no answer within ${this.#timeoutMs} ms` : errorMessage(attempt.error);
    this.#logger.warn({ ops, attempt: this.#failures + 1, reason, pending: this.#outbox.size }, "edge transaction failed; ops kept in the outbox");
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Decides when the state is saved: after `debounceMs` without a mutation, and at
 * least every `maxDelayMs` while mutations never stop (a pure debounce would never
 * save under continuous traffic). After each save the journal entries the snapshot
 * covers are compacted away.
 *
 * Invariants:
 * - Never two saves at once.
 * - `capture()` runs synchronously at the start of a save, so the state and the
 *   journal position it reports match; the state it returns must not be mutated
 *   afterwards (the save serialises it over several event-loop turns).
 * - `saveNow()` resolves once a snapshot taken no earlier than the call is on disk.
 *
 * Time is read from the global `performance` and `setTimeout`, so tests can fake them.
 */
import { saveSnapshot, type SavedSnapshot, type SnapshotContents, type SourcePositions } from "./snapshot-file.js";

export const DEFAULT_SAVE_DEBOUNCE_MS = 2000;
export const DEFAULT_SAVE_MAX_DELAY_MS = 30_000;

export interface SnapshotSaved extends SavedSnapshot {
  /** The source positions the saved state covers. */
  readonly positions: SourcePositions;
  /** How long `capture()` held the event loop. */
  readonly captureMs: number;
}

export interface SnapshotterOptions<S> {
  /** The snapshot file. */
  readonly file: string;
  /** Returns the current state and the source positions it covers (the journal's: the last entry it includes). */
  readonly capture: () => SnapshotContents<S>;
  /** Quiet period before a save (SAVE_DEBOUNCE_MS). */
  readonly debounceMs?: number;
  /** Longest time a mutation waits for a save under continuous load (SAVE_MAX_DELAY_MS). */
  readonly maxDelayMs?: number;
  /**
   * The journal the positions refer to. Before a save, every entry up to the captured
   * position is made durable (a snapshot must never cover entries the journal could
   * still lose: after a crash the journal would end before the snapshot). After it,
   * the journal is compacted up to that position.
   */
  readonly journal?: { sync(): Promise<void>; compact(upTo: number): Promise<unknown> };
  /** Called after each save (for metrics: ssp_snapshot_duration_seconds). */
  readonly onSaved?: (saved: SnapshotSaved) => void;
  /** Called when a save started by the timers fails; it is retried after `debounceMs`. */
  readonly onError?: (error: unknown) => void;
  /** Called on every failed save, whoever asked for it (for metrics: ssp_snapshot_failures_total). */
  readonly onFailed?: (error: unknown) => void;
}

/** The last save failed: why and when (performance.now()). Cleared by the next save that succeeds. */
export interface SaveFailure {
  readonly error: unknown;
  readonly at: number;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

export class Snapshotter<S> {
  private readonly options: SnapshotterOptions<S>;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  /** When the oldest unsaved mutation was scheduled; undefined when all are saved. */
  private dirtySince: number | undefined;
  private lastScheduledAt = 0;
  private debounceTimer: NodeJS.Timeout | undefined;
  private maxDelayTimer: NodeJS.Timeout | undefined;
  private inFlight: Promise<SnapshotSaved> | undefined;
  /** A save asked for while another runs; it starts when that one ends. */
  private queued: Deferred<SnapshotSaved> | undefined;
  private closing: Promise<SnapshotSaved> | undefined;
  private lastFailure: SaveFailure | undefined;

  constructor(options: SnapshotterOptions<S>) {
    this.options = options;
    this.debounceMs = options.debounceMs ?? DEFAULT_SAVE_DEBOUNCE_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_SAVE_MAX_DELAY_MS;
  }

  /** Set while the last save failed (disk full, unwritable, …), for readiness. */
  get failure(): SaveFailure | undefined {
    return this.lastFailure;
  }

  /** Records that the state changed; call after every mutation. Cheap. */
  schedule(): void {
    if (this.closing !== undefined) return;
    const now = performance.now();
    this.lastScheduledAt = now;
    this.dirtySince ??= now;
    if (this.inFlight === undefined) this.armTimers();
  }

  /** Saves now (or right after the save in progress) and resolves when it is on disk. */
  saveNow(): Promise<SnapshotSaved> {
    if (this.closing !== undefined) return Promise.reject(new Error("snapshotter is closed"));
    return this.request();
  }

  /** Stops the timers and saves one last time; resolves when that save is on disk. */
  close(): Promise<SnapshotSaved> {
    if (this.closing === undefined) {
      this.clearTimers();
      this.closing = this.request();
    }
    return this.closing;
  }

  private request(): Promise<SnapshotSaved> {
    if (this.inFlight === undefined) return this.start();
    // Nothing changed since the running save captured the state: it is the one asked for.
    if (this.dirtySince === undefined) return this.inFlight;
    this.queued ??= deferred();
    return this.queued.promise;
  }

  private start(): Promise<SnapshotSaved> {
    this.clearTimers();
    const saving = this.captureAndWrite().catch((error: unknown) => {
      // Still dirty; retry no sooner than one quiet period from now.
      const now = performance.now();
      this.dirtySince = now;
      this.lastScheduledAt = Math.max(this.lastScheduledAt, now);
      this.lastFailure = { error, at: now };
      this.options.onFailed?.(error);
      throw error;
    });
    this.inFlight = saving;
    const settled = (): void => this.afterSave();
    saving.then(settled, settled);
    return saving;
  }

  /** Captures synchronously (an async function runs up to its first await at once). */
  private async captureAndWrite(): Promise<SnapshotSaved> {
    const captureStart = performance.now();
    const contents = this.options.capture();
    const captureMs = performance.now() - captureStart;
    this.dirtySince = undefined;
    await this.options.journal?.sync();
    const saved = await saveSnapshot(this.options.file, contents);
    await this.options.journal?.compact(contents.positions.journal);
    const result: SnapshotSaved = { ...saved, positions: contents.positions, captureMs };
    this.lastFailure = undefined;
    this.options.onSaved?.(result);
    return result;
  }

  private afterSave(): void {
    this.inFlight = undefined;
    const queued = this.queued;
    this.queued = undefined;
    if (queued !== undefined) {
      this.start().then(queued.resolve, queued.reject);
    } else if (this.dirtySince !== undefined && this.closing === undefined) {
      this.armTimers();
    }
  }

  /** Arms (or keeps) the debounce and max-delay timers for the current dirty period. */
  private armTimers(): void {
    const dirtySince = this.dirtySince;
    if (dirtySince === undefined) return;
    const now = performance.now();
    if (this.maxDelayTimer === undefined) {
      this.maxDelayTimer = setTimeout(() => this.onTimer(), Math.max(0, dirtySince + this.maxDelayMs - now));
      this.maxDelayTimer.unref();
    }
    // The debounce timer is not reset on every mutation (that costs at high rates):
    // when it fires early it re-arms itself for the rest of the quiet period.
    if (this.debounceTimer === undefined) {
      this.debounceTimer = setTimeout(() => this.onDebounce(), Math.max(0, this.lastScheduledAt + this.debounceMs - now));
      this.debounceTimer.unref();
    }
  }

  private onDebounce(): void {
    this.debounceTimer = undefined;
    const quietFor = performance.now() - this.lastScheduledAt;
    if (quietFor + 1 < this.debounceMs) this.armTimers();
    else this.onTimer();
  }

  private onTimer(): void {
    if (this.inFlight !== undefined || this.closing !== undefined || this.dirtySince === undefined) return;
    this.start().catch((error: unknown) => {
      if (this.options.onError !== undefined) this.options.onError(error);
      else process.emitWarning(`snapshot save failed: ${String(error)}`);
    });
  }

  private clearTimers(): void {
    clearTimeout(this.debounceTimer);
    clearTimeout(this.maxDelayTimer);
    this.debounceTimer = undefined;
    this.maxDelayTimer = undefined;
  }
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

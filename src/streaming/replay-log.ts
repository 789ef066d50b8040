/**
 * A view's most recent deltas, kept so that a client that reconnects gets exactly
 * what it missed. One log per view, shared by every stream.
 *
 * Invariant: the entries hold consecutive sequences (the oldest is dropped when
 * the log is full; a gap, which only a re-created view can cause, clears it).
 */
import type { DeltaMessage } from "./types.js";

/** One published delta, with bodies (for includeRecords streams) and without. */
export interface LogEntry {
  readonly sequence: number;
  /** The journal position of the mutation: streams deliver the entry once it is durable. */
  readonly position: number;
  readonly withRecords: DeltaMessage;
  readonly bare: DeltaMessage;
}

export class ReplayLog {
  /** Grows to `capacity` (most views never fill it), then wraps around `start`. */
  private ring: (LogEntry | undefined)[] = [];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {}

  append(entry: LogEntry): void {
    if (this.capacity === 0) return;
    const last = this.at(this.count - 1);
    if (last !== undefined && entry.sequence !== last.sequence + 1) this.clear();
    if (this.count < this.capacity) {
      // Not full: start is 0 and the ring is exactly `count` long.
      this.ring.push(entry);
      this.count++;
    } else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /**
   * The entries a client at `cursor` misses when the view is at `current`, or
   * undefined when the log cannot say (cursor older than the log, or ahead of
   * the view): the client then needs a fresh snapshot.
   */
  since(cursor: number, current: number): LogEntry[] | undefined {
    if (cursor === current) return [];
    if (cursor > current) return undefined;
    const first = this.at(0);
    const last = this.at(this.count - 1);
    if (first === undefined || last === undefined) return undefined;
    if (cursor + 1 < first.sequence || last.sequence < current) return undefined;
    const out: LogEntry[] = [];
    for (let i = cursor + 1 - first.sequence; i < this.count; i++) {
      const entry = this.at(i)!;
      if (entry.sequence > current) break;
      out.push(entry);
    }
    return out;
  }

  clear(): void {
    this.ring = [];
    this.start = 0;
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  private at(i: number): LogEntry | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.ring[(this.start + i) % this.capacity];
  }
}

/**
 * An append-only journal of JSON entries in segment files under one directory, so
 * that what was acknowledged survives `kill -9` (DESIGN.md, "Durability").
 *
 * Invariants:
 * - Positions are consecutive integers, monotonic across segments and restarts.
 * - `append` resolves only once its entry's bytes are fsynced. Entries appended while
 *   a write + fsync is in flight are written together and share the next fsync (group
 *   commit), so throughput is not capped at one fsync per entry.
 * - All file work (batch writes, rotation, compaction) runs one step at a time, in the
 *   order it was asked for.
 * - After a failed write or fsync nothing about the file can be trusted (the kernel
 *   may have dropped the dirty pages), so the journal refuses all further appends;
 *   the process should stop and recover from disk.
 */
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { syncDirectory, writeFully } from "./durable-fs.js";
import {
  JournalError,
  SEGMENT_HEADER_BYTES,
  encodeRecord,
  encodeSegmentHeader,
  parseSegmentFileName,
  scanSegment,
  segmentFileName,
} from "./journal-format.js";

export { JournalError } from "./journal-format.js";

export interface JournalOptions {
  readonly dir: string;
  /** A new segment is started before a write would take the current one past this. */
  readonly segmentBytes?: number;
  /**
   * The position of the first entry when `dir` holds no journal yet (after a snapshot
   * covering P, P + 1). If an existing journal would number its next entry below it,
   * opening fails: segments are missing.
   */
  readonly firstPosition?: number;
  /** Told when opening dropped a torn last record. */
  readonly onTornTail?: (problem: string) => void;
}

export interface JournalRecord<E> {
  readonly position: number;
  readonly entry: E;
}

export interface JournalStats {
  readonly appends: number;
  /** Group-commit batches written; each cost one fsync. */
  readonly syncs: number;
  readonly bytes: number;
  readonly segments: number;
}

interface Pending {
  readonly position: number;
  readonly record: Buffer;
  readonly resolve: (position: number) => void;
  readonly reject: (error: Error) => void;
}

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export class Journal<E> {
  readonly dir: string;
  private readonly segmentBytes: number;
  /** First positions of the segment files, ascending; the last one is being written. */
  private readonly segments: number[];
  private handle: FileHandle;
  private writeOffset: number;
  private nextPosition: number;
  private durablePosition: number;
  private pending: Pending[] = [];
  private flushQueued = false;
  private work: Promise<unknown> = Promise.resolve();
  private failed: JournalError | undefined;
  private closed = false;
  private counters = { appends: 0, syncs: 0, bytes: 0 };

  private constructor(
    dir: string,
    segmentBytes: number,
    segments: number[],
    handle: FileHandle,
    writeOffset: number,
    next: number,
  ) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.segments = segments;
    this.handle = handle;
    this.writeOffset = writeOffset;
    this.nextPosition = next;
    this.durablePosition = next - 1;
  }

  /**
   * Opens (or creates) the journal in `options.dir`. A torn last record left by a
   * crash is truncated away; any other damage to the last segment throws JournalError.
   */
  static async open<E>(options: JournalOptions): Promise<Journal<E>> {
    const dir = options.dir;
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const firstPosition = options.firstPosition ?? 1;
    if (!Number.isSafeInteger(firstPosition) || firstPosition < 1) {
      throw new RangeError(`firstPosition must be a positive safe integer, got ${firstPosition}`);
    }
    // A new directory's own entry must be durable too, or a power cut could lose it.
    if ((await mkdir(dir, { recursive: true })) !== undefined) await syncDirectory(path.dirname(dir));
    const segments = (await readdir(dir))
      .map(parseSegmentFileName)
      .filter((position) => position !== undefined)
      .sort((a, b) => a - b);
    const last = segments.at(-1);
    if (last === undefined) {
      const handle = await createSegment(dir, firstPosition);
      return new Journal<E>(dir, segmentBytes, [firstPosition], handle, SEGMENT_HEADER_BYTES, firstPosition);
    }
    const file = path.join(dir, segmentFileName(last));
    const handle = await open(file, "r+");
    try {
      const scan = scanSegment(await readFile(file), last, { tail: true });
      if (scan.torn !== undefined) {
        options.onTornTail?.(scan.torn);
        await handle.truncate(scan.validBytes);
        if (scan.validBytes === 0) await writeFully(handle, encodeSegmentHeader(), 0);
        await handle.sync();
      }
      const next = last + scan.records.length;
      if (next < firstPosition) {
        throw new JournalError(
          `journal in ${dir} ends at position ${next - 1} but position ${firstPosition - 1} is already covered ` +
            "(by a snapshot): journal segments are missing or belong to another data directory",
        );
      }
      return new Journal<E>(dir, segmentBytes, segments, handle, Math.max(scan.validBytes, SEGMENT_HEADER_BYTES), next);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The last position whose entry is on disk (0 for a journal that never held one). */
  get lastPosition(): number {
    return this.durablePosition;
  }

  /**
   * The position of the last entry appended, on disk or not yet. A snapshot captured
   * right after applying a mutation that was just appended covers this position.
   */
  get lastAppendedPosition(): number {
    return this.nextPosition - 1;
  }

  /** Why the journal refuses appends, once a write, fsync or file step has failed; undefined while it works. */
  get failure(): JournalError | undefined {
    return this.failed;
  }

  stats(): JournalStats {
    return { ...this.counters, segments: this.segments.length };
  }

  /**
   * Appends `entry` and resolves with its position once it is fsynced. The position is
   * assigned now, so entries appended in call order get increasing positions.
   */
  append(entry: E): Promise<number> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new JournalError("journal is closed"));
    let json: string | undefined;
    try {
      json = JSON.stringify(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    if (json === undefined) return Promise.reject(new TypeError("journal entry has no JSON representation"));
    const position = this.nextPosition++;
    this.counters.appends++;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ position, record: encodeRecord(position, json), resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        void this.serially(() => this.flush());
      }
    });
  }

  /**
   * The entries after position `after`, in order, up to the last one on disk when
   * called. Throws JournalError if any of them is missing or damaged. Do not compact
   * while a replay runs.
   */
  async *replay(after: number): AsyncGenerator<JournalRecord<E>> {
    const limit = this.durablePosition;
    const segments = [...this.segments];
    const first = segments[0] ?? limit + 1;
    if (first > after + 1) {
      throw new JournalError(
        `journal in ${this.dir} starts at position ${first}: entries ${after + 1}..${first - 1} are missing`,
      );
    }
    for (let i = 0; i < segments.length; i++) {
      const start = segments[i] as number;
      const end = (segments[i + 1] ?? limit + 1) - 1;
      if (end <= after) continue;
      if (start > limit) break;
      const name = segmentFileName(start);
      const data = await readFile(path.join(this.dir, name));
      const scan = scanSegment(data, start, { tail: false, limit: end });
      const reached = start + scan.records.length - 1;
      if (reached !== end) {
        throw new JournalError(`segment ${name} in ${this.dir} ends at position ${reached}, expected ${end}`);
      }
      for (const record of scan.records) {
        if (record.position <= after) continue;
        const json = data.toString("utf8", record.payloadStart, record.payloadEnd);
        yield { position: record.position, entry: JSON.parse(json) as E };
      }
    }
  }

  /** Resolves once every entry appended before the call is on disk. */
  sync(): Promise<void> {
    return this.serially(async () => this.assertUsable());
  }

  /** `replay(after)` gathered into an array. */
  async readAfter(after: number): Promise<JournalRecord<E>[]> {
    const records: JournalRecord<E>[] = [];
    for await (const record of this.replay(after)) records.push(record);
    return records;
  }

  /** Starts a new segment (if the current one holds any entry). */
  rotate(): Promise<void> {
    if (this.closed) return Promise.reject(new JournalError("journal is closed"));
    return this.serially(async () => {
      this.assertUsable();
      await this.rotateNow();
    });
  }

  /**
   * Removes every segment whose entries are all ≤ `upTo` (covered by a snapshot),
   * starting a new segment first if the current one is entirely covered. Resolves with
   * the number of segments removed.
   */
  compact(upTo: number): Promise<number> {
    if (this.closed) return Promise.reject(new JournalError("journal is closed"));
    return this.serially(async () => {
      this.assertUsable();
      if (this.durablePosition <= upTo) await this.rotateNow();
      let removed = 0;
      // Oldest first, so a crash part-way leaves a contiguous journal.
      while (this.segments.length > 1 && (this.segments[1] as number) - 1 <= upTo) {
        await unlink(path.join(this.dir, segmentFileName(this.segments[0] as number)));
        this.segments.shift();
        removed++;
      }
      if (removed > 0) await syncDirectory(this.dir);
      return removed;
    });
  }

  /** Waits for every appended entry to be on disk, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.work.catch(() => undefined);
    await this.handle.close();
  }

  /** Writes every pending entry with one write and one fsync, then acknowledges them. */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      if (this.failed !== undefined) throw this.failed;
      const bytes = Buffer.concat(batch.map((item) => item.record));
      if (this.writeOffset > SEGMENT_HEADER_BYTES && this.writeOffset + bytes.length > this.segmentBytes) {
        await this.rotateNow();
      }
      await writeFully(this.handle, bytes, this.writeOffset);
      this.writeOffset += bytes.length;
      await this.handle.datasync();
      this.counters.syncs++;
      this.counters.bytes += bytes.length;
      this.durablePosition = (batch.at(-1) as Pending).position;
    } catch (error) {
      this.failed ??= new JournalError(`journal write failed in ${this.dir}: ${(error as Error).message}`, {
        cause: error,
      });
      for (const item of batch) item.reject(this.failed);
      return;
    }
    for (const item of batch) item.resolve(item.position);
  }

  private async rotateNow(): Promise<void> {
    const first = this.durablePosition + 1;
    if (first === this.segments.at(-1)) return;
    const handle = await createSegment(this.dir, first);
    await this.handle.close();
    this.handle = handle;
    this.writeOffset = SEGMENT_HEADER_BYTES;
    this.segments.push(first);
  }

  /** Runs `step` after every step asked for before it. A failed step breaks the journal. */
  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.work.then(step);
    this.work = run.catch((error: unknown) => {
      this.failed ??=
        error instanceof JournalError
          ? error
          : new JournalError(`journal in ${this.dir} failed: ${(error as Error).message}`, { cause: error });
    });
    return run;
  }

  private assertUsable(): void {
    if (this.failed !== undefined) throw this.failed;
  }
}

/** Creates an empty segment durably: header written and fsynced, directory fsynced. */
async function createSegment(dir: string, firstPosition: number): Promise<FileHandle> {
  const handle = await open(path.join(dir, segmentFileName(firstPosition)), "wx+");
  try {
    await writeFully(handle, encodeSegmentHeader(), 0);
    await handle.sync();
    await syncDirectory(dir);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

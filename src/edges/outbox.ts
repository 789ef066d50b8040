/**
 * The durable outbox: edge ops that could not be committed to SurrealDB wait here,
 * in order, until they are. One append-only file under the data dir; every line is
 * `<crc32 hex> <json>\n`, either an entry `{"seq":n,"op":…}` or an acknowledgement
 * `{"ack":n}` (every entry up to n is committed). Appends are fsynced before the
 * caller is told "pending".
 *
 * On open, lines are read until the first one whose checksum or JSON fails (a torn
 * tail from a crash mid-write); the file is cut there. When everything is
 * acknowledged the file is truncated to empty.
 */
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { EdgeOp } from "./types.js";

export const OUTBOX_FILE = "edge-outbox.log";

export interface OutboxEntry {
  readonly seq: number;
  readonly op: EdgeOp;
}

export class Outbox {
  readonly path: string;
  readonly #file: FileHandle;
  #entries: OutboxEntry[];
  #nextSeq: number;
  /** Serialises file writes so they land in call order. */
  #chain: Promise<void> = Promise.resolve();

  private constructor(path: string, file: FileHandle, entries: OutboxEntry[], nextSeq: number) {
    this.path = path;
    this.#file = file;
    this.#entries = entries;
    this.#nextSeq = nextSeq;
  }

  static async open(dir: string): Promise<Outbox> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, OUTBOX_FILE);
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const { entries, validBytes, nextSeq } = parseOutbox(text);
    const file = await open(path, "a");
    if (validBytes < Buffer.byteLength(text, "utf8")) {
      await file.truncate(validBytes);
      await file.datasync();
    }
    if (entries.length === 0 && validBytes > 0) {
      await file.truncate(0);
      await file.datasync();
    }
    await syncDir(dir);
    return new Outbox(path, file, entries, nextSeq);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The oldest `max` waiting entries, in order. */
  peek(max: number): readonly OutboxEntry[] {
    return this.#entries.slice(0, max);
  }

  /**
   * Entries are visible to `peek` at once; the promise resolves with their sequence
   * numbers once they are on disk.
   */
  async append(ops: readonly EdgeOp[]): Promise<number[]> {
    const seqs: number[] = [];
    const lines = ops.map((op) => {
      const entry = { seq: this.#nextSeq++, op };
      this.#entries.push(entry);
      seqs.push(entry.seq);
      return frame(entry);
    });
    if (lines.length > 0) await this.#write(lines.join(""));
    return seqs;
  }

  /** Marks every entry with seq ≤ `seq` committed. */
  ack(seq: number): Promise<void> {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.seq > seq);
    if (this.#entries.length === before) return this.#chain;
    if (this.#entries.length === 0) {
      // Every line written so far is acknowledged; entries appended after this call
      // are written after the cut, so cutting loses nothing.
      return this.#enqueue(async () => {
        await this.#file.truncate(0);
        await this.#file.datasync();
      });
    }
    return this.#write(frame({ ack: seq }));
  }

  async close(): Promise<void> {
    await this.#chain.catch(() => undefined);
    await this.#file.close();
  }

  #write(text: string): Promise<void> {
    return this.#enqueue(() => this.#appendDurably(text));
  }

  async #appendDurably(text: string): Promise<void> {
    await this.#file.appendFile(text, "utf8");
    await this.#file.datasync();
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#chain.catch(() => undefined).then(task);
    this.#chain = next;
    return next;
  }
}

function frame(value: object): string {
  const json = JSON.stringify(value);
  return `${checksum(json)} ${json}\n`;
}

function checksum(json: string): string {
  return crc32(json).toString(16).padStart(8, "0");
}

/** Valid entries not yet acknowledged, and the byte length of the valid prefix. */
export function parseOutbox(text: string): { entries: OutboxEntry[]; validBytes: number; nextSeq: number } {
  let entries: OutboxEntry[] = [];
  let validBytes = 0;
  let nextSeq = 1;
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf("\n", pos);
    if (end < 0) break;
    const line = text.slice(pos, end);
    const json = line.slice(9);
    if (line[8] !== " " || checksum(json) !== line.slice(0, 8)) break;
    let value: { seq?: unknown; op?: unknown; ack?: unknown };
    try {
      value = JSON.parse(json) as typeof value;
    } catch {
      break;
    }
    if (typeof value.ack === "number") {
      const ack = value.ack;
      entries = entries.filter((e) => e.seq > ack);
    } else if (typeof value.seq === "number" && typeof value.op === "object" && value.op !== null) {
      entries.push({ seq: value.seq, op: value.op as EdgeOp });
      nextSeq = Math.max(nextSeq, value.seq + 1);
    } else break;
    pos = end + 1;
    validBytes += Buffer.byteLength(line, "utf8") + 1;
  }
  return { entries, validBytes, nextSeq };
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The durable outbox: edge ops that could not be committed to SurrealDB wait here,
 * in order, until they are. One append-only file under the data dir; every line is
 * `<crc32 hex> <json>\n`, one of:
 * - an entry `{"seq":n,"at":ms,"op":…}`;
 * - an acknowledgement `{"ack":n}`: every waiting entry up to n is committed;
 * - `{"aside":n,"views":[…]|"all","reason":…,"at":ms}`: entry n was refused by
 *   SurrealDB for good and set aside (it no longer waits), leaving those views'
 *   edges stale until they are repaired;
 * - `{"repaired":[…]|"all"}`: those views' edges were rebuilt, so set-aside entries
 *   no longer leave them stale.
 * Appends are fsynced before the caller is told "pending", or before a set-aside
 * entry stops blocking the ones behind it.
 *
 * On open, lines are read until the first one whose checksum or JSON fails (a torn
 * tail from a crash mid-write); the file is cut there. When nothing waits and
 * nothing is set aside, the file is truncated to empty.
 */
import { mkdir, open, readFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { EdgeOp, EdgeOpKind } from "./types.js";

export const OUTBOX_FILE = "edge-outbox.log";

export interface OutboxEntry {
  readonly seq: number;
  readonly op: EdgeOp;
  /** When it entered the outbox (ms since the epoch; the open time for entries written before this was kept). */
  readonly at: number;
}

/** Views an op writes edges or metadata for; "all" for a reset or a full resync. */
export type ViewScope = readonly string[] | "all";

/** An entry SurrealDB refused for good: it no longer waits, but its views' edges may be stale. */
export interface SetAsideEntry {
  readonly seq: number;
  readonly kind: EdgeOpKind;
  /** The views still stale because of it (shrinks as views are repaired). */
  readonly views: ViewScope;
  readonly reason: string;
  readonly at: number;
}

export class Outbox {
  readonly path: string;
  readonly #file: FileHandle;
  #entries: OutboxEntry[];
  #aside: SetAsideEntry[];
  #nextSeq: number;
  /** Serialises file writes so they land in call order. */
  #chain: Promise<void> = Promise.resolve();

  private constructor(path: string, file: FileHandle, entries: OutboxEntry[], aside: SetAsideEntry[], nextSeq: number) {
    this.path = path;
    this.#file = file;
    this.#entries = entries;
    this.#aside = aside;
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
    const { entries, aside, validBytes, nextSeq } = parseOutbox(text, Date.now());
    const file = await open(path, "a");
    if (validBytes < Buffer.byteLength(text, "utf8")) {
      await file.truncate(validBytes);
      await file.datasync();
    }
    if (entries.length === 0 && aside.length === 0 && validBytes > 0) {
      await file.truncate(0);
      await file.datasync();
    }
    await syncDir(dir);
    return new Outbox(path, file, entries, aside, nextSeq);
  }

  /** Entries waiting to be committed. */
  get size(): number {
    return this.#entries.length;
  }

  /** Entries set aside whose views are not repaired yet, oldest first. */
  get setAside(): readonly SetAsideEntry[] {
    return this.#aside;
  }

  /** When the oldest waiting entry entered the outbox; undefined when none waits. */
  get oldestAt(): number | undefined {
    return this.#entries[0]?.at;
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
    const at = Date.now();
    const lines = ops.map((op) => {
      const entry = { seq: this.#nextSeq++, at, op };
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
    return this.#cutOrWrite({ ack: seq });
  }

  /**
   * Takes the waiting entry `seq` out of line for good (SurrealDB refuses it), so
   * the entries behind it can go; `views` stay stale until `repaired`.
   */
  setAsideEntry(seq: number, views: ViewScope, reason: string): Promise<void> {
    const index = this.#entries.findIndex((e) => e.seq === seq);
    const entry = this.#entries[index];
    if (entry === undefined) return this.#chain;
    this.#entries.splice(index, 1);
    const at = Date.now();
    this.#aside.push({ seq, kind: entry.op.kind, views, reason, at });
    return this.#write(frame({ aside: seq, views, reason, at }));
  }

  /** `views`' edges were rebuilt: set-aside entries no longer leave them stale. */
  repaired(views: ViewScope): Promise<void> {
    const next = applyRepair(this.#aside, views);
    if (next.length === this.#aside.length && next.every((e, i) => e === this.#aside[i])) return this.#chain;
    this.#aside = next;
    return this.#cutOrWrite({ repaired: views });
  }

  async close(): Promise<void> {
    await this.#chain.catch(() => undefined);
    await this.#file.close();
  }

  /**
   * Appends `record`, or cuts the file to empty when nothing waits and nothing is
   * set aside: every line written so far is then settled, and lines appended after
   * this call are written after the cut, so cutting loses nothing.
   */
  #cutOrWrite(record: object): Promise<void> {
    if (this.#entries.length > 0 || this.#aside.length > 0) return this.#write(frame(record));
    return this.#enqueue(async () => {
      await this.#file.truncate(0);
      await this.#file.datasync();
    });
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

/** Set-aside entries after `views` were repaired: those views dropped, entries with none left gone. */
function applyRepair(aside: readonly SetAsideEntry[], views: ViewScope): SetAsideEntry[] {
  if (views === "all") return [];
  const repaired = new Set(views);
  const next: SetAsideEntry[] = [];
  for (const entry of aside) {
    // A reset or full resync set aside leaves every view stale: only a full repair clears it.
    if (entry.views === "all" || !entry.views.some((v) => repaired.has(v))) next.push(entry);
    else {
      const left = entry.views.filter((v) => !repaired.has(v));
      if (left.length > 0) next.push({ ...entry, views: left });
    }
  }
  return next;
}

function isViewScope(value: unknown): value is ViewScope {
  return value === "all" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
}

/**
 * Waiting and set-aside entries, and the byte length of the valid prefix.
 * `now` stands in for the entry time of lines written before it was kept.
 */
export function parseOutbox(
  text: string,
  now: number,
): { entries: OutboxEntry[]; aside: SetAsideEntry[]; validBytes: number; nextSeq: number } {
  let entries: OutboxEntry[] = [];
  let aside: SetAsideEntry[] = [];
  let validBytes = 0;
  let nextSeq = 1;
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf("\n", pos);
    if (end < 0) break;
    const line = text.slice(pos, end);
    const json = line.slice(9);
    if (line[8] !== " " || checksum(json) !== line.slice(0, 8)) break;
    let value: { seq?: unknown; op?: unknown; ack?: unknown; at?: unknown; aside?: unknown; views?: unknown; reason?: unknown; repaired?: unknown };
    try {
      value = JSON.parse(json) as typeof value;
    } catch {
      break;
    }
    if (typeof value.ack === "number") {
      const ack = value.ack;
      entries = entries.filter((e) => e.seq > ack);
    } else if (typeof value.aside === "number" && isViewScope(value.views)) {
      const seq = value.aside;
      const entry = entries.find((e) => e.seq === seq);
      if (entry !== undefined) {
        entries = entries.filter((e) => e !== entry);
        const at = typeof value.at === "number" ? value.at : now;
        aside.push({ seq, kind: entry.op.kind, views: value.views, reason: String(value.reason ?? ""), at });
      }
    } else if (isViewScope(value.repaired)) {
      aside = applyRepair(aside, value.repaired);
    } else if (typeof value.seq === "number" && typeof value.op === "object" && value.op !== null) {
      entries.push({ seq: value.seq, op: value.op as EdgeOp, at: typeof value.at === "number" ? value.at : now });
      nextSeq = Math.max(nextSeq, value.seq + 1);
    } else break;
    pos = end + 1;
    validBytes += Buffer.byteLength(line, "utf8") + 1;
  }
  return { entries, aside, validBytes, nextSeq };
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

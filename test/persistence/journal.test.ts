import { readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Journal, JournalError } from "../../src/persistence/journal.js";
import { encodeRecord, segmentFileName } from "../../src/persistence/journal-format.js";
import { useTempDirs } from "./fixtures/temp-dir.js";

const tempDir = useTempDirs();

interface Entry {
  readonly kind: "ingest";
  readonly n: number;
  readonly pad: string;
}

function entry(n: number): Entry {
  return { kind: "ingest", n, pad: `record ${n} `.padEnd(40, "·") };
}

async function openJournal(dir: string, segmentBytes?: number): Promise<Journal<Entry>> {
  return Journal.open<Entry>({ dir, ...(segmentBytes === undefined ? {} : { segmentBytes }) });
}

/** A journal holding entries 1..count, closed. */
async function journalWith(count: number, segmentBytes?: number): Promise<string> {
  const dir = await tempDir();
  const journal = await openJournal(dir, segmentBytes);
  for (let n = 1; n <= count; n++) await journal.append(entry(n));
  await journal.close();
  return dir;
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(".log")).sort();
}

async function lastSegment(dir: string): Promise<string> {
  return path.join(dir, (await segmentFiles(dir)).at(-1) as string);
}

/** Reopens `dir` and reads everything back; the torn-tail reports are collected. */
async function reopenAndRead(dir: string, torn: string[] = []): Promise<number[]> {
  const journal = await Journal.open<Entry>({ dir, onTornTail: (problem) => torn.push(problem) });
  try {
    const records = await journal.readAfter(0);
    records.forEach((record) => expect(record.entry).toEqual(entry(record.position)));
    return records.map((record) => record.position);
  } finally {
    await journal.close();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

async function flipByte(file: string, offset: number): Promise<void> {
  const bytes = await readFile(file);
  bytes.writeUInt8(bytes.readUInt8(offset) ^ 0x5a, offset);
  await writeFile(file, bytes);
}

describe("journal", () => {
  it("numbers entries 1, 2, 3… in call order and reads them back after any position", async () => {
    const journal = await openJournal(await tempDir());
    const positions = await Promise.all(range(1, 50).map((n) => journal.append(entry(n))));
    expect(positions).toEqual(range(1, 50));
    expect((await journal.readAfter(0)).map((r) => r.entry)).toEqual(range(1, 50).map(entry));
    expect((await journal.readAfter(42)).map((r) => r.position)).toEqual(range(43, 50));
    expect(await journal.readAfter(50)).toEqual([]);
    await journal.close();
  });

  it("group-commits concurrent appends: far fewer fsyncs than entries", async () => {
    const journal = await openJournal(await tempDir());
    const count = 2000;
    const positions = await Promise.all(range(1, count).map((n) => journal.append(entry(n))));
    const stats = journal.stats();
    expect(positions).toEqual(range(1, count));
    expect(stats.appends).toBe(count);
    expect(stats.syncs).toBeLessThan(count / 10);
    await journal.close();
  });

  it("group-commits writers that each wait for their previous append", async () => {
    const journal = await openJournal(await tempDir());
    const writers = 16;
    const perWriter = 40;
    const seen: number[] = [];
    await Promise.all(
      range(1, writers).map(async (writer) => {
        for (let i = 0; i < perWriter; i++) seen.push(await journal.append(entry(writer * 1000 + i)));
      }),
    );
    expect(seen.sort((a, b) => a - b)).toEqual(range(1, writers * perWriter));
    expect(journal.stats().syncs).toBeLessThan((writers * perWriter) / 4);
    await journal.close();
  });

  it("acknowledges an entry only once it and every entry before it are on disk", async () => {
    const journal = await openJournal(await tempDir());
    const acknowledged = await Promise.all(
      range(1, 300).map(async (n) => {
        const position = await journal.append(entry(n));
        return journal.lastPosition >= position;
      }),
    );
    expect(acknowledged.every(Boolean)).toBe(true);
    await journal.close();
  });

  it("sync resolves once everything appended before it is on disk", async () => {
    const journal = await openJournal(await tempDir());
    const appended = range(1, 30).map((n) => journal.append(entry(n)));
    expect(journal.lastAppendedPosition).toBe(30);
    await journal.sync();
    expect(journal.lastPosition).toBe(30);
    await Promise.all(appended);
    await journal.close();
  });

  it("keeps positions monotonic across segments and reopening", async () => {
    const dir = await journalWith(100, 1024);
    expect((await segmentFiles(dir)).length).toBeGreaterThan(5);
    const journal = await openJournal(dir, 1024);
    expect(journal.lastPosition).toBe(100);
    expect(await journal.append(entry(101))).toBe(101);
    expect((await journal.readAfter(0)).map((r) => r.entry)).toEqual(range(1, 101).map(entry));
    expect((await journal.readAfter(77)).map((r) => r.position)).toEqual(range(78, 101));
    await journal.close();
  });

  it("names each segment for the position of its first entry", async () => {
    const dir = await journalWith(30, 512);
    const journal = await openJournal(dir);
    const firsts = (await segmentFiles(dir)).map((name) => Number(name.slice(0, 20)));
    for (const first of firsts) expect((await journal.readAfter(first - 1))[0]?.position).toBe(first);
    await journal.close();
  });

  it("drops a torn last record (a write cut short) and appends after the last good one", async () => {
    const dir = await journalWith(10);
    const file = await lastSegment(dir);
    const goodSize = (await stat(file)).size;
    const partial = encodeRecord(11, JSON.stringify(entry(11))).subarray(0, 30);
    await writeFile(file, partial, { flag: "a" });
    const torn: string[] = [];
    const journal = await Journal.open<Entry>({ dir, onTornTail: (problem) => torn.push(problem) });
    expect(torn).toEqual([expect.stringMatching(/record 11 at byte \d+: record extends past the end of the file/)]);
    expect((await stat(file)).size).toBe(goodSize);
    expect(journal.lastPosition).toBe(10);
    expect(await journal.append(entry(11))).toBe(11);
    await journal.close();
    expect(await reopenAndRead(dir)).toEqual(range(1, 11));
  });

  it("drops a torn record header, a zero-filled tail and a last record with a bad checksum", async () => {
    for (const damage of [
      async (file: string) => writeFile(file, Buffer.from([0, 0, 0, 9, 1]), { flag: "a" }),
      async (file: string) => writeFile(file, Buffer.alloc(4096), { flag: "a" }),
      async (file: string) => flipByte(file, (await stat(file)).size - 3),
    ]) {
      const dir = await journalWith(10);
      const file = await lastSegment(dir);
      const torn: string[] = [];
      await damage(file);
      const positions = await reopenAndRead(dir, torn);
      expect(torn).toHaveLength(1);
      expect(positions).toEqual(range(1, positions.length));
      expect(positions.length).toBeGreaterThanOrEqual(9);
    }
  });

  it("loses only a suffix when the last segment is cut at any byte, never misreading", async () => {
    const dir = await journalWith(20);
    const file = await lastSegment(dir);
    const whole = await readFile(file);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: whole.length }), async (cut) => {
        await writeFile(file, whole.subarray(0, cut));
        const positions = await reopenAndRead(dir);
        expect(positions).toEqual(range(1, positions.length));
      }),
      { numRuns: 60 },
    );
  });

  it("refuses a damaged record followed by good ones (damage inside the journal), at open", async () => {
    const dir = await journalWith(10);
    const file = await lastSegment(dir);
    const recordBytes = encodeRecord(5, JSON.stringify(entry(5))).length;
    await flipByte(file, 12 + 4 * recordBytes + 20);
    await expect(Journal.open({ dir })).rejects.toThrow(/record 5 at byte \d+: checksum mismatch, and valid records follow it/);
  });

  it("detects damage to any byte of an earlier record", async () => {
    const dir = await journalWith(6);
    const file = await lastSegment(dir);
    const whole = await readFile(file);
    const lastRecordStart = whole.length - encodeRecord(6, JSON.stringify(entry(6))).length;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 12, max: lastRecordStart - 1 }), async (offset) => {
        const damaged = Buffer.from(whole);
        damaged.writeUInt8(damaged.readUInt8(offset) ^ 0xff, offset);
        await writeFile(file, damaged);
        await expect(reopenAndRead(dir)).rejects.toThrow(JournalError);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses damage in an earlier segment when replaying", async () => {
    const dir = await journalWith(40, 512);
    const first = path.join(dir, (await segmentFiles(dir))[0] as string);
    await flipByte(first, 40);
    const journal = await openJournal(dir);
    await expect(journal.readAfter(0)).rejects.toThrow(/segment 0+1\.log, record 1 at byte 12: checksum mismatch/);
    await journal.close();
  });

  it("refuses an earlier segment that ends short of the next one", async () => {
    const dir = await journalWith(40, 512);
    const first = path.join(dir, (await segmentFiles(dir))[0] as string);
    await truncate(first, (await stat(first)).size - 1);
    const journal = await openJournal(dir);
    await expect(journal.readAfter(0)).rejects.toThrow(JournalError);
    await journal.close();
  });

  it("compacts away the segments a snapshot covers, and only those", async () => {
    const dir = await journalWith(100, 1024);
    const journal = await openJournal(dir, 1024);
    const before = await segmentFiles(dir);
    const removed = await journal.compact(60);
    const after = await segmentFiles(dir);
    expect(removed).toBe(before.length - after.length);
    expect(removed).toBeGreaterThan(0);
    expect(Number(after[0]?.slice(0, 20))).toBeLessThanOrEqual(61);
    expect((await journal.readAfter(60)).map((r) => r.position)).toEqual(range(61, 100));
    await expect(journal.readAfter(0)).rejects.toThrow(/entries 1\.\.\d+ are missing/);
    await journal.close();
  });

  it("compacting everything leaves one empty segment, and positions still continue", async () => {
    const dir = await journalWith(30, 1024);
    const journal = await openJournal(dir, 1024);
    await journal.compact(30);
    expect(await segmentFiles(dir)).toEqual([segmentFileName(31)]);
    await journal.close();
    const reopened = await openJournal(dir);
    expect(reopened.lastPosition).toBe(30);
    expect(await reopened.readAfter(30)).toEqual([]);
    expect(await reopened.append(entry(31))).toBe(31);
    await reopened.close();
  });

  it("starts a new journal at the position after a snapshot", async () => {
    const journal = await Journal.open<Entry>({ dir: await tempDir(), firstPosition: 42 });
    expect(journal.lastPosition).toBe(41);
    expect(await journal.append(entry(42))).toBe(42);
    expect((await journal.readAfter(41)).map((r) => r.position)).toEqual([42]);
    await journal.close();
  });

  it("refuses a journal that ends before the position a snapshot already covers", async () => {
    const dir = await journalWith(10);
    await expect(Journal.open({ dir, firstPosition: 20 })).rejects.toThrow(/ends at position 10 but position 19 is already covered/);
  });

  it("refuses a segment of an unknown format version", async () => {
    const dir = await journalWith(3);
    const file = await lastSegment(dir);
    const bytes = await readFile(file);
    bytes.writeUInt32BE(7, 8);
    await writeFile(file, bytes);
    await expect(Journal.open({ dir })).rejects.toThrow(/unknown journal format version 7/);
  });

  it("rejects entries without a JSON form, without using up a position", async () => {
    const journal = await openJournal(await tempDir());
    await expect(journal.append(undefined as unknown as Entry)).rejects.toThrow(TypeError);
    await expect(journal.append({ big: 1n } as unknown as Entry)).rejects.toThrow(TypeError);
    expect(await journal.append(entry(1))).toBe(1);
    await journal.close();
  });

  it("refuses appends after close, having written everything appended before it", async () => {
    const dir = await tempDir();
    const journal = await openJournal(dir);
    const appended = range(1, 20).map((n) => journal.append(entry(n)));
    await journal.close();
    expect(await Promise.all(appended)).toEqual(range(1, 20));
    await expect(journal.append(entry(21))).rejects.toThrow(/closed/);
    expect(await reopenAndRead(dir)).toEqual(range(1, 20));
  });
});

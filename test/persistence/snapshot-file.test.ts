import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { SnapshotError, loadSnapshot, saveSnapshot } from "../../src/persistence/snapshot-file.js";
import { useTempDirs } from "./fixtures/temp-dir.js";

const tempDir = useTempDirs();

function sampleState(records: number) {
  return {
    records: Array.from({ length: records }, (_, i) => ({
      id: `thread:${i}`,
      version: 1 + (i % 3),
      body: { title: `title ${i} ⟨é⟩`, author: { $rid: `user:${i % 7}` }, score: i / 3 },
    })),
    views: [{ id: "v1", surql: "SELECT * FROM thread", params: {}, sequence: 12 }],
  };
}

async function snapshotFile(): Promise<string> {
  return path.join(await tempDir(), "state.snapshot");
}

/** Loads `file` expecting a SnapshotError; returns it. */
async function expectUnusable(file: string): Promise<SnapshotError> {
  const error = await loadSnapshot(file).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SnapshotError);
  return error as SnapshotError;
}

async function rewrite(file: string, change: (bytes: Buffer) => Buffer): Promise<Buffer> {
  const changed = change(await readFile(file));
  await writeFile(file, changed);
  return changed;
}

/** A snapshot file as `version` lays it out, with a valid checksum. */
function withHeader(version: number, journalPosition: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(32);
  header.write("SSP-SNAP", 0, "latin1");
  header.writeUInt32BE(version, 8);
  header.writeBigUInt64BE(BigInt(journalPosition), 16);
  header.writeBigUInt64BE(BigInt(payload.length), 24);
  header.writeUInt32BE(crc32(header.subarray(16, 32), crc32(payload)), 12);
  return Buffer.concat([header, payload]);
}

/** A file written by a build before source positions: format 1, the state alone as the payload. */
function versionOneSnapshot(state: unknown, journalPosition: number): Buffer {
  return withHeader(1, journalPosition, Buffer.from(JSON.stringify(state), "utf8"));
}

describe("snapshot file", () => {
  it("round-trips a state and the journal position it covers", async () => {
    const file = await snapshotFile();
    const state = sampleState(1000);
    const saved = await saveSnapshot(file, { state, positions: { journal: 4242 } });
    const loaded = await loadSnapshot(file);
    expect(loaded).toEqual({ state, positions: { journal: 4242 }, bytes: saved.bytes });
    expect((await readFile(file)).length).toBe(saved.bytes);
  });

  it("loads a version-1 snapshot (the state alone), covering the journal position of its header", async () => {
    const file = await snapshotFile();
    const state = sampleState(20);
    await writeFile(file, versionOneSnapshot(state, 77));
    expect(await loadSnapshot(file)).toMatchObject({ state, positions: { journal: 77 } });
  });

  it("refuses a payload whose journal position differs from the header's", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: { n: 1 }, positions: { journal: 3 } });
    const whole = await readFile(file);
    const payload = Buffer.from(whole.toString("utf8", 32).replace('"journal":3', '"journal":4'), "utf8");
    await writeFile(file, withHeader(2, 3, payload));
    expect((await expectUnusable(file)).problem).toMatch(/journal position 4 differs from the header's 3/);
  });

  it("refuses a version-2 payload without positions and state, as unusable", async () => {
    const file = await snapshotFile();
    for (const payload of ['{"state":{}}', '{"positions":null,"state":{}}', "[1]", "null"]) {
      await writeFile(file, withHeader(2, 0, Buffer.from(payload, "utf8")));
      expect((await expectUnusable(file)).problem, payload).toBe("payload has no positions and state");
    }
  });

  it("returns nothing when there is no snapshot yet", async () => {
    expect(await loadSnapshot(await snapshotFile())).toBeUndefined();
  });

  it("replaces the previous snapshot and leaves no temp file behind", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: { n: 1 }, positions: { journal: 1 } });
    await saveSnapshot(file, { state: { n: 2 }, positions: { journal: 2 } });
    expect(await loadSnapshot(file)).toMatchObject({ state: { n: 2 }, positions: { journal: 2 } });
    expect(await readdir(path.dirname(file))).toEqual(["state.snapshot"]);
  });

  it("keeps the old snapshot when a save died before its rename (stray temp file)", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: { n: 1 }, positions: { journal: 7 } });
    const stray = `${file}.tmp-999-deadbeef`;
    await writeFile(stray, Buffer.from("SSP-SNAP half written"));
    expect(await loadSnapshot(file)).toMatchObject({ state: { n: 1 }, positions: { journal: 7 } });
    expect(await readdir(path.dirname(file))).toEqual(["state.snapshot"]);
  });

  it("reports a checksum mismatch, naming the file, and moves the file aside", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: sampleState(10), positions: { journal: 3 } });
    const corrupt = await rewrite(file, (bytes) => {
      const at = bytes.length - 5;
      bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
      return bytes;
    });
    const error = await expectUnusable(file);
    expect(error.problem).toMatch(/checksum mismatch/);
    expect(error.message).toContain(file);
    expect(error.movedTo).toMatch(/state\.snapshot\.corrupt-\d{4}-/);
    expect(await readFile(error.movedTo as string)).toEqual(corrupt);
    expect(await loadSnapshot(file)).toBeUndefined();
  });

  it("detects a changed journal position in the header through the checksum", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: { n: 1 }, positions: { journal: 3 } });
    await rewrite(file, (bytes) => {
      bytes[23] = 9;
      return bytes;
    });
    expect((await expectUnusable(file)).problem).toMatch(/checksum mismatch/);
  });

  it("reports a truncated file, at any length", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: sampleState(5), positions: { journal: 3 } });
    const whole = await readFile(file);
    for (const length of [0, 5, 8, 20, 31, 32, 100, whole.length - 1]) {
      await writeFile(file, whole.subarray(0, length));
      expect((await expectUnusable(file)).problem, `length ${length}`).toMatch(/truncated/);
    }
  });

  it("reports an unknown format version", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: { n: 1 }, positions: { journal: 3 } });
    await rewrite(file, (bytes) => {
      bytes.writeUInt32BE(99, 8);
      return bytes;
    });
    expect((await expectUnusable(file)).problem).toBe("unknown format version 99 (this build reads versions 1 to 2)");
  });

  it("reports a file that is not a snapshot at all", async () => {
    const file = await snapshotFile();
    await writeFile(file, JSON.stringify(sampleState(3)));
    expect((await expectUnusable(file)).problem).toMatch(/not an SSP snapshot/);
  });

  it("starts empty on request, still moving the bad file aside and saying why", async () => {
    const file = await snapshotFile();
    await saveSnapshot(file, { state: { n: 1 }, positions: { journal: 3 } });
    await rewrite(file, (bytes) => bytes.subarray(0, 35));
    const discarded: SnapshotError[] = [];
    const loaded = await loadSnapshot(file, { ifCorrupt: "start-empty", onDiscarded: (error) => discarded.push(error) });
    expect(loaded).toBeUndefined();
    expect(discarded).toHaveLength(1);
    expect(discarded[0]?.problem).toMatch(/truncated/);
    const names = await readdir(path.dirname(file));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^state\.snapshot\.corrupt-/);
  });

  it("rejects a journal position that is not a non-negative integer", async () => {
    const file = await snapshotFile();
    await expect(saveSnapshot(file, { state: {}, positions: { journal: -1 } })).rejects.toThrow(RangeError);
    await expect(saveSnapshot(file, { state: {}, positions: { journal: 1.5 } })).rejects.toThrow(RangeError);
  });

  it("lets the event loop run between the chunks it serialises", async () => {
    const file = await snapshotFile();
    const state = sampleState(20_000);
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const saved = await saveSnapshot(file, { state, positions: { journal: 1 } });
    counting = false;
    // ~64 KB of JSON per chunk, each followed by an awaited write.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(saved.bytes / (64 * 1024)));
    expect(saved.longestPauseMs).toBeLessThanOrEqual(saved.durationMs);
    expect((await loadSnapshot(file))?.state).toEqual(state);
  });
});

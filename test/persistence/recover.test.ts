import { readdir, readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { Journal, JournalError } from "../../src/persistence/journal.js";
import { dataPaths, recover } from "../../src/persistence/recover.js";
import { SnapshotError, saveSnapshot } from "../../src/persistence/snapshot-file.js";
import { Snapshotter } from "../../src/persistence/snapshotter.js";
import { useTempDirs } from "./fixtures/temp-dir.js";

const tempDir = useTempDirs();

/** The integrator's shape in miniature: a key-value state changed by journaled mutations. */
type Mutation = { kind: "set"; key: string; value: number } | { kind: "reset" };
type State = Record<string, number>;

function apply(state: State, mutation: Mutation): State {
  return mutation.kind === "reset" ? {} : { ...state, [mutation.key]: mutation.value };
}

/** Runs a service over `dir` for `mutations`, saving a snapshot after `saveAfter` of them, and "crashes". */
async function runService(dir: string, mutations: Mutation[], saveAfter: number): Promise<State> {
  const recovered = await recover<State, Mutation>({ dir });
  let state = recovered.entries.reduce((s, record) => apply(s, record.entry), recovered.state ?? {});
  const snapshotter = new Snapshotter<State>({
    file: recovered.paths.snapshotFile,
    capture: () => ({ state, positions: { journal: recovered.journal.lastAppendedPosition } }),
    journal: recovered.journal,
    debounceMs: 60_000,
  });
  for (const [i, mutation] of mutations.entries()) {
    // Appended and applied in the same tick; acknowledged once durable.
    const durable = recovered.journal.append(mutation);
    state = apply(state, mutation);
    await durable;
    snapshotter.schedule();
    if (i + 1 === saveAfter) await snapshotter.saveNow();
  }
  // A crash: no close of the snapshotter, no final save.
  await recovered.journal.close();
  return state;
}

function sets(from: number, to: number): Mutation[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({ kind: "set", key: `k${(from + i) % 7}`, value: from + i }));
}

describe("recover", () => {
  it("starts empty in a fresh directory, with a journal at position 1", async () => {
    const recovered = await recover<State, Mutation>({ dir: await tempDir() });
    expect(recovered).toMatchObject({ state: undefined, snapshotPosition: 0, entries: [], discarded: undefined });
    expect(await recovered.journal.append({ kind: "reset" })).toBe(1);
    await recovered.journal.close();
  });

  it("rebuilds the state as of the last acknowledged mutation: snapshot plus the journal after it", async () => {
    const dir = await tempDir();
    const first = await runService(dir, sets(1, 30), 12);
    const recovered = await recover<State, Mutation>({ dir });
    expect(recovered.snapshotPosition).toBe(12);
    expect(recovered.entries.map((record) => record.position)).toEqual(Array.from({ length: 18 }, (_, i) => 13 + i));
    await recovered.journal.close();

    const second = await runService(dir, [...sets(31, 40), { kind: "reset" }, ...sets(41, 45)], 5);
    expect(second).not.toEqual(first);
    const again = await recover<State, Mutation>({ dir });
    expect(again.entries.reduce((s, r) => apply(s, r.entry), again.state ?? {})).toEqual(second);
    expect(again.journal.lastPosition).toBe(46);
    await again.journal.close();
  });

  it("refuses a corrupt snapshot, keeping it aside, and leaves the journal alone", async () => {
    const dir = await tempDir();
    await runService(dir, sets(1, 10), 5);
    const { snapshotFile, journalDir } = dataPaths(dir);
    const bytes = await readFile(snapshotFile);
    bytes.writeUInt8(bytes.readUInt8(40) ^ 1, 40);
    await writeFile(snapshotFile, bytes);
    const journalBefore = await readdir(journalDir);
    await expect(recover({ dir })).rejects.toThrow(SnapshotError);
    expect(await readdir(journalDir)).toEqual(journalBefore);
  });

  it("starts empty over a corrupt snapshot when asked, setting snapshot and journal aside", async () => {
    const dir = await tempDir();
    await runService(dir, sets(1, 10), 5);
    const { snapshotFile } = dataPaths(dir);
    await writeFile(snapshotFile, (await readFile(snapshotFile)).subarray(0, 20));
    const recovered = await recover<State, Mutation>({ dir, ifCorrupt: "start-empty" });
    expect(recovered.state).toBeUndefined();
    expect(recovered.entries).toEqual([]);
    expect(recovered.discarded).toBeInstanceOf(SnapshotError);
    expect(recovered.discarded?.message).toMatch(/truncated/);
    expect((await readdir(dir)).sort()).toEqual([
      "journal",
      expect.stringMatching(/^journal\.discarded-/),
      expect.stringMatching(/^state\.snapshot\.corrupt-/),
    ]);
    // A new history: the next start (without the flag) sees only what came after.
    expect(await recovered.journal.append({ kind: "reset" })).toBe(1);
    await recovered.journal.close();
    const again = await recover<State, Mutation>({ dir });
    expect(again.entries.map((r) => r.entry)).toEqual([{ kind: "reset" }]);
    await again.journal.close();
  });

  it("starts empty over a damaged journal when asked", async () => {
    const dir = await tempDir();
    const { journalDir } = dataPaths(dir);
    await runService(dir, sets(1, 10), 0);
    const segment = `${journalDir}/${(await readdir(journalDir))[0]}`;
    const bytes = await readFile(segment);
    bytes.writeUInt8(bytes.readUInt8(20) ^ 1, 20);
    await writeFile(segment, bytes);
    await expect(recover({ dir })).rejects.toThrow(JournalError);
    const recovered = await recover<State, Mutation>({ dir, ifCorrupt: "start-empty" });
    expect(recovered.discarded).toBeInstanceOf(JournalError);
    expect(recovered).toMatchObject({ state: undefined, entries: [] });
    await recovered.journal.close();
  });

  it("refuses a journal with entries missing after the snapshot", async () => {
    const dir = await tempDir();
    const { snapshotFile, journalDir } = dataPaths(dir);
    const journal = await Journal.open<Mutation>({ dir: journalDir, firstPosition: 10 });
    await journal.append({ kind: "reset" });
    await journal.close();
    await saveSnapshot(snapshotFile, { state: {}, positions: { journal: 5 } });
    await expect(recover({ dir })).rejects.toThrow(JournalError);
    await expect(recover({ dir })).rejects.toThrow(/entries 6\.\.9 are missing/);
  });

  it("refuses a journal without a snapshot once its start has been compacted away", async () => {
    const dir = await tempDir();
    await runService(dir, sets(1, 10), 5);
    const { snapshotFile } = dataPaths(dir);
    const { rm } = await import("node:fs/promises");
    await rm(snapshotFile);
    await expect(recover({ dir })).rejects.toThrow(/entries 1\.\.5 are missing/);
  });
});

/**
 * The incarnation is kept only when the restart provably holds everything a
 * client saw: the last run could not lose state (journal on, or a clean stop)
 * and recovery set nothing aside. Otherwise a new one starts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { endIncarnation, incarnationFile, loadIncarnation, startIncarnation } from "../../src/persistence/index.js";

describe("incarnation", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ssp-incarnation-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts one in a new data dir and keeps it across journal-on restarts, crashed or not", async () => {
    const first = await startIncarnation({ dir, discarded: false, journal: true });
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(await loadIncarnation(dir)).toEqual({ incarnation: first, mayLoseState: false });
    expect(await startIncarnation({ dir, discarded: false, journal: true })).toBe(first);
  });

  it("starts a new one when recovery set the state aside", async () => {
    const first = await startIncarnation({ dir, discarded: false, journal: true });
    expect(await startIncarnation({ dir, discarded: true, journal: true })).not.toBe(first);
  });

  it("with the journal off, keeps it only after a clean stop", async () => {
    const first = await startIncarnation({ dir, discarded: false, journal: false });
    expect(await loadIncarnation(dir)).toEqual({ incarnation: first, mayLoseState: true });
    await endIncarnation(dir, first);
    const second = await startIncarnation({ dir, discarded: false, journal: false });
    expect(second).toBe(first);
    // No clean stop this time (a crash): the next start cannot prove continuity.
    const third = await startIncarnation({ dir, discarded: false, journal: true });
    expect(third).not.toBe(second);
  });

  it("starts a new one when the file is damaged", async () => {
    const first = await startIncarnation({ dir, discarded: false, journal: true });
    await writeFile(incarnationFile(dir), '{"incarnation": 7');
    expect(await loadIncarnation(dir)).toBeUndefined();
    expect(await startIncarnation({ dir, discarded: false, journal: true })).not.toBe(first);
  });
});

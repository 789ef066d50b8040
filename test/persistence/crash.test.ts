/**
 * kill -9 at random moments: whatever the journal acknowledged must come back, in
 * order, with nothing invented; a snapshot file must always load. SSP_CRASH_ROUNDS
 * sets the number of rounds (`make crash` runs many more).
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Journal } from "../../src/persistence/journal.js";
import { recover } from "../../src/persistence/recover.js";
import { loadSnapshot } from "../../src/persistence/snapshot-file.js";
import { applyCounter, type CounterMutation, type CounterState } from "./fixtures/counter-state.js";
import { crashEntry, type CrashEntry } from "./fixtures/crash-entry.js";
import { runUntilKilled } from "./fixtures/kill-child.js";
import { useTempDirs } from "./fixtures/temp-dir.js";

const tempDir = useTempDirs();
const ROUNDS = Number(process.env.SSP_CRASH_ROUNDS ?? 20);
const SNAPSHOT_ROUNDS = Math.ceil(ROUNDS / 4);
const LANES = 4;
/** Generous: a round is ~0.1 s on an idle machine, but CI machines are not idle. */
const TIMEOUT_MS = 60_000 + ROUNDS * 3_000;
const SEGMENT_BYTES = 16 * 1024;

interface Acked {
  readonly round: number;
  readonly writer: number;
  readonly seq: number;
}

describe("crash safety", () => {
  it("runs its fixtures on Node 24 or later (TypeScript type stripping)", () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
  });

  it(`replays every acknowledged journal entry after kill -9, in order, nothing invented (${ROUNDS} rounds)`, async () => {
    // Independent journals side by side: a round is mostly Node's start-up time.
    const lanes = Array.from({ length: LANES }, (_, lane) =>
      Array.from({ length: ROUNDS }, (_, i) => i + 1).filter((round) => round % LANES === lane),
    );
    const acked = await Promise.all(lanes.map(async (rounds) => crashJournalRounds(await tempDir(), rounds)));
    expect(acked.reduce((sum, count) => sum + count, 0)).toBeGreaterThan(ROUNDS);
  }, TIMEOUT_MS);

  it(`recovers snapshot + journal to at least every acknowledged mutation (${SNAPSHOT_ROUNDS} rounds)`, async () => {
    const dir = await tempDir();
    const acked = new Map<string, number>();
    let maxAcked = 0;
    for (let round = 1; round <= SNAPSHOT_ROUNDS; round++) {
      const delayMs = Math.floor(Math.random() * 60);
      const log = path.join(dir, `round-${round}.log`);
      const lines = await runUntilKilled("service-until-killed.ts", [dir, log, String(round), "8"], log, delayMs);
      for (const line of lines) {
        const [, at, key, seq] = line.split(" ");
        acked.set(key as string, Math.max(acked.get(key as string) ?? 0, Number(seq)));
        maxAcked = Math.max(maxAcked, Number(at));
      }
      const recovered = await recover<CounterState, CounterMutation>({ dir });
      const state = recovered.entries.reduce((s, r) => applyCounter(s, r.entry), recovered.state ?? { count: 0, last: {} });
      await recovered.journal.close();
      const where = `round ${round}, killed ${delayMs} ms after the first ack`;
      // Each mutation is one position, so the count names the last one applied.
      expect(state.count, where).toBe(recovered.journal.lastPosition);
      expect(state.count, where).toBeGreaterThanOrEqual(maxAcked);
      for (const [key, seq] of acked) expect(state.last[key] ?? 0, `${where}: ${key}`).toBeGreaterThanOrEqual(seq);
    }
    expect(maxAcked).toBeGreaterThan(SNAPSHOT_ROUNDS);
  }, TIMEOUT_MS);

  it(`always finds a whole snapshot after kill -9 during saves (${SNAPSHOT_ROUNDS} rounds)`, async () => {
    const dir = await tempDir();
    const file = path.join(dir, "state.snapshot");
    let lastSaved = 0;
    for (let round = 1; round <= SNAPSHOT_ROUNDS; round++) {
      const delayMs = Math.floor(Math.random() * 40);
      const log = path.join(dir, `round-${round}.log`);
      const lines = await runUntilKilled("save-until-killed.ts", [file, log, String(lastSaved + 1)], log, delayMs);
      const saved = lines.map((line) => Number(line.replace(/^saved /, "")));
      const lastAcknowledged = saved.at(-1) ?? lastSaved;
      const loaded = await loadSnapshot<{ position: number; records: unknown[] }>(file);
      // The last acknowledged save, or the one in flight when the kill came.
      expect(loaded?.positions.journal, `round ${round}`).toBeGreaterThanOrEqual(lastAcknowledged);
      expect(loaded?.positions.journal, `round ${round}`).toBeLessThanOrEqual(lastAcknowledged + 1);
      expect(loaded?.state.position).toBe(loaded?.positions.journal);
      expect(loaded?.state.records).toHaveLength(2000);
      lastSaved = loaded?.positions.journal ?? lastSaved;
    }
  }, TIMEOUT_MS);
});

/**
 * Kills a journal-writing child once per round, reopening the same journal each time,
 * and checks what comes back. Returns how many entries were acknowledged.
 */
async function crashJournalRounds(dir: string, rounds: readonly number[]): Promise<number> {
  const acked = new Map<number, Acked>();
  let covered = 0;
  let totalAcked = 0;
  for (const round of rounds) {
    const writers = 1 + ((round * 7) % 16);
    const delayMs = 5 + Math.floor(Math.random() * 60);
    const log = path.join(dir, `round-${round}.log`);
    const lines = await runUntilKilled(
      "append-until-killed.ts",
      [path.join(dir, "journal"), log, String(round), String(writers), String(SEGMENT_BYTES)],
      log,
      delayMs,
    );
    for (const line of lines) {
      const [kind, a, b, c] = line.split(" ");
      if (kind === "ack") {
        acked.set(Number(a), { round, writer: Number(b), seq: Number(c) });
        totalAcked++;
      } else if (kind === "compact") {
        covered = Math.max(covered, Number(a));
      }
    }

    const journal = await Journal.open<CrashEntry>({ dir: path.join(dir, "journal"), segmentBytes: SEGMENT_BYTES });
    const replayed = await journal.readAfter(covered);
    await journal.close();

    const where = `round ${round} (${writers} writers, killed ${delayMs} ms after it was ready)`;
    expect(
      replayed.map((record) => record.position),
      where,
    ).toEqual(Array.from({ length: replayed.length }, (_, i) => covered + 1 + i));
    const byPosition = new Map(replayed.map((record) => [record.position, record.entry]));
    for (const [position, ack] of acked) {
      if (position <= covered) continue;
      expect(byPosition.get(position), `${where}: acknowledged position ${position}`).toEqual(
        crashEntry(ack.round, ack.writer, ack.seq),
      );
    }
    // Unacknowledged survivors must still be entries the child wrote, in its order.
    const lastSeq = new Map<string, number>();
    for (const { position, entry } of replayed) {
      expect(entry, `${where}: position ${position}`).toEqual(crashEntry(entry.round, entry.writer, entry.seq));
      const key = `${entry.round}/${entry.writer}`;
      const previous = lastSeq.get(key);
      if (previous !== undefined) expect(entry.seq, `${where}: position ${position}`).toBe(previous + 1);
      lastSeq.set(key, entry.seq);
    }
  }
  return totalAcked;
}

/**
 * Measures the journal's and the snapshot's costs (not a test; numbers for the README):
 *
 *   node --import ./test/support/ts-resolve.mjs test/persistence/measure-persistence.ts
 *
 * - journal appends/s with 1 and 64 concurrent appenders of ~200-byte entries, against
 *   the same appenders doing everything but the journal write;
 * - snapshot save of 100,000 records of ~200 bytes: wall time, longest event-loop
 *   pause, versus one blocking JSON.stringify.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Journal } from "../../src/persistence/journal.js";
import { loadSnapshot, saveSnapshot } from "../../src/persistence/snapshot-file.js";

const SECONDS = Number(process.env.MEASURE_SECONDS ?? 2);

interface Ingest {
  readonly kind: "ingest";
  readonly changes: Array<{ op: string; id: string; body: Record<string, unknown> }>;
}

function ingest(i: number): Ingest {
  return {
    kind: "ingest",
    changes: [{ op: "UPDATE", id: `thread:${i}`, body: { title: `thread number ${i}`.padEnd(90, "."), room: `room${i % 50}`, score: i } }],
  };
}

async function appendRate(appenders: number, append: (entry: Ingest) => Promise<unknown>): Promise<number> {
  let count = 0;
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (performance.now() < deadline) {
        await append(ingest(count));
        count++;
      }
    }),
  );
  return count / SECONDS;
}

async function measureJournal(dir: string): Promise<void> {
  console.log(`entry size: ${JSON.stringify(ingest(12345)).length} bytes of JSON (+16 bytes of record header)`);
  for (const appenders of [1, 64]) {
    const without = await appendRate(appenders, async (entry) => JSON.stringify(entry));
    const journal = await Journal.open<Ingest>({ dir: path.join(dir, `journal-${appenders}`) });
    const withJournal = await appendRate(appenders, (entry) => journal.append(entry));
    const stats = journal.stats();
    await journal.close();
    console.log(
      `${appenders} appender(s): ${Math.round(withJournal)} entries/s with the journal ` +
        `(${stats.syncs} fsyncs, ${(stats.appends / stats.syncs).toFixed(1)} entries per fsync); ` +
        `${Math.round(without)} entries/s without`,
    );
  }
}

async function measureSnapshot(dir: string): Promise<void> {
  const records = Array.from({ length: 100_000 }, (_, i) => ({
    id: `thread:${i}`,
    version: 3,
    body: { title: `thread number ${i}`.padEnd(70, "."), author: { $rid: `user:${i % 1000}` }, room: `room${i % 50}`, score: i * 1.5 },
  }));
  const state = { records, views: [] };
  const file = path.join(dir, "state.snapshot");
  for (let run = 1; run <= 3; run++) {
    let longestGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 1);
    const saved = await saveSnapshot(file, { state, positions: { journal: run } });
    clearInterval(ticker);
    const blockingStart = performance.now();
    JSON.stringify(state);
    const blocking = performance.now() - blockingStart;
    const loadStart = performance.now();
    await loadSnapshot(file);
    const load = performance.now() - loadStart;
    console.log(
      `snapshot of 100,000 records (${(saved.bytes / 1e6).toFixed(1)} MB): save ${saved.durationMs.toFixed(0)} ms, ` +
        `longest slice ${saved.longestPauseMs.toFixed(1)} ms, longest event-loop gap ${longestGap.toFixed(1)} ms; ` +
        `one JSON.stringify blocks ${blocking.toFixed(0)} ms; load ${load.toFixed(0)} ms`,
    );
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), "ssp-measure-"));
try {
  console.log(`node ${process.version}, ${os.cpus().length} cpus, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  await measureJournal(dir);
  await measureSnapshot(dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}

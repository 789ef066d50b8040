import { mkdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Journal } from "../../src/persistence/journal.js";
import { loadSnapshot } from "../../src/persistence/snapshot-file.js";
import { Snapshotter, type SnapshotSaved, type SnapshotterOptions } from "../../src/persistence/snapshotter.js";
import { useTempDirs } from "./fixtures/temp-dir.js";

const tempDir = useTempDirs();

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A counter service: each mutation bumps `n`, which is also its journal position.
 * Records when the snapshotter captured and what it saved, and checks that saves
 * never overlap.
 */
async function harness(options: Partial<Pick<SnapshotterOptions<{ n: number }>, "file" | "debounceMs" | "maxDelayMs">> = {}) {
  const file = path.join(await tempDir(), "state.snapshot");
  let n = 0;
  let saving = 0;
  const captures: number[] = [];
  const saved: SnapshotSaved[] = [];
  const errors: unknown[] = [];
  const waiters: Array<() => void> = [];
  const snapshotter = new Snapshotter<{ n: number }>({
    file,
    capture: () => {
      expect(saving, "a save started while another was running").toBe(0);
      saving++;
      captures.push(performance.now());
      return { state: { n }, positions: { journal: n } };
    },
    onSaved: (result) => {
      saving--;
      saved.push(result);
      waiters.splice(0).forEach((wake) => wake());
    },
    onError: (error) => {
      saving--;
      errors.push(error);
    },
    ...options,
  });
  return {
    file,
    snapshotter,
    captures,
    saved,
    errors,
    mutate(): void {
      n++;
      snapshotter.schedule();
    },
    /** Resolves once `count` saves have completed (real I/O, whatever the clock). */
    async savedCount(count: number): Promise<void> {
      while (saved.length < count) await new Promise<void>((wake) => waiters.push(wake));
    },
  };
}

function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
}

describe("snapshotter", () => {
  it("saves once the state has been quiet for debounceMs, not before", async () => {
    useFakeClock();
    const h = await harness({ debounceMs: 100, maxDelayMs: 10_000 });
    const start = performance.now();
    h.mutate();
    await vi.advanceTimersByTimeAsync(60);
    h.mutate();
    await vi.advanceTimersByTimeAsync(60);
    h.mutate();
    await vi.advanceTimersByTimeAsync(99);
    expect(h.captures).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.captures.map((t) => t - start)).toEqual([220]);
    await h.savedCount(1);
    expect(h.saved[0]?.positions.journal).toBe(3);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.captures).toHaveLength(1);
  });

  it("still saves every maxDelayMs while mutations never stop", async () => {
    useFakeClock();
    const h = await harness({ debounceMs: 100, maxDelayMs: 300 });
    const start = performance.now();
    for (let t = 0; t < 1000; t += 50) {
      h.mutate();
      await vi.advanceTimersByTimeAsync(50);
      await h.savedCount(h.captures.length);
    }
    expect(h.captures.map((t) => t - start)).toEqual([300, 600, 900]);
    expect(h.saved.map((s) => s.positions.journal)).toEqual([6, 12, 18]);
  });

  it("saveNow resolves once the current state is on disk", async () => {
    const h = await harness({ debounceMs: 60_000 });
    h.mutate();
    h.mutate();
    const saved = await h.snapshotter.saveNow();
    expect(saved.positions.journal).toBe(2);
    expect(saved.bytes).toBeGreaterThan(32);
    expect(await loadSnapshot(h.file)).toMatchObject({ state: { n: 2 }, positions: { journal: 2 } });
    await h.snapshotter.close();
  });

  it("coalesces concurrent saveNow calls that saw no new mutation into one save", async () => {
    const h = await harness({ debounceMs: 60_000 });
    h.mutate();
    const results = await Promise.all([h.snapshotter.saveNow(), h.snapshotter.saveNow(), h.snapshotter.saveNow()]);
    expect(h.captures).toHaveLength(1);
    expect(new Set(results).size).toBe(1);
    await h.snapshotter.close();
  });

  it("runs saveNow calls made during a save, after mutations, as one more save", async () => {
    const h = await harness({ debounceMs: 60_000 });
    h.mutate();
    const first = h.snapshotter.saveNow();
    h.mutate();
    const later = [h.snapshotter.saveNow(), h.snapshotter.saveNow()];
    h.mutate();
    later.push(h.snapshotter.saveNow());
    expect((await first).positions.journal).toBe(1);
    const results = await Promise.all(later);
    expect(results.map((r) => r.positions.journal)).toEqual([3, 3, 3]);
    expect(h.captures).toHaveLength(2);
    await h.snapshotter.close();
  });

  it("never runs two saves at once under a storm of mutations and saveNow calls", async () => {
    const h = await harness({ debounceMs: 1, maxDelayMs: 4 });
    const forced: Array<{ calledAt: number; result: Promise<SnapshotSaved> }> = [];
    for (let i = 1; i <= 200; i++) {
      h.mutate();
      if (i % 17 === 0) forced.push({ calledAt: i, result: h.snapshotter.saveNow() });
      if (i % 5 === 0) await new Promise((wake) => setTimeout(wake, 1));
    }
    for (const { calledAt, result } of forced) {
      expect((await result).positions.journal).toBeGreaterThanOrEqual(calledAt);
    }
    const last = await h.snapshotter.close();
    expect(last.positions.journal).toBe(200);
    expect(h.saved).toHaveLength(h.captures.length);
  });

  it("close saves at once, then ignores mutations and refuses saveNow", async () => {
    const h = await harness({ debounceMs: 60_000 });
    h.mutate();
    const saved = await h.snapshotter.close();
    expect(saved.positions.journal).toBe(1);
    expect(await loadSnapshot(h.file)).toMatchObject({ positions: { journal: 1 } });
    h.mutate();
    await expect(h.snapshotter.saveNow()).rejects.toThrow(/closed/);
    expect(h.captures).toHaveLength(1);
    expect(await h.snapshotter.close()).toBe(saved);
  });

  it("close during a save waits for it and saves what changed since", async () => {
    const h = await harness({ debounceMs: 60_000 });
    h.mutate();
    const running = h.snapshotter.saveNow();
    h.mutate();
    const closed = await h.snapshotter.close();
    expect((await running).positions.journal).toBe(1);
    expect(closed.positions.journal).toBe(2);
    expect(await loadSnapshot(h.file)).toMatchObject({ positions: { journal: 2 } });
  });

  it("compacts the journal up to the position each save covers", async () => {
    const dir = await tempDir();
    const journal = await Journal.open<{ n: number }>({ dir: path.join(dir, "journal"), segmentBytes: 100 });
    for (let n = 1; n <= 20; n++) await journal.append({ n });
    const snapshotter = new Snapshotter({
      file: path.join(dir, "state.snapshot"),
      capture: () => ({ state: { n: 20 }, positions: { journal: journal.lastPosition } }),
      journal,
    });
    expect(journal.stats().segments).toBeGreaterThan(3);
    await snapshotter.close();
    expect(journal.stats().segments).toBe(1);
    expect(await journal.readAfter(20)).toEqual([]);
    await journal.close();
  });

  it("writes no snapshot until the journal has made the captured entries durable", async () => {
    const file = path.join(await tempDir(), "state.snapshot");
    const calls: string[] = [];
    let releaseSync = (): void => undefined;
    // A journal whose fsync is still in flight: the captured entries are not durable yet.
    const journal = {
      sync: () => {
        calls.push("sync");
        return new Promise<void>((resolve) => {
          releaseSync = resolve;
        });
      },
      compact: async (upTo: number) => calls.push(`compact ${upTo}`),
    };
    const snapshotter = new Snapshotter({ file, capture: () => ({ state: { n: 7 }, positions: { journal: 7 } }), journal });
    const saving = snapshotter.saveNow();
    await new Promise((wake) => setTimeout(wake, 20));
    expect(calls).toEqual(["sync"]);
    expect(await loadSnapshot(file)).toBeUndefined();
    releaseSync();
    expect((await saving).positions.journal).toBe(7);
    expect(calls).toEqual(["sync", "compact 7"]);
    expect(await loadSnapshot(file)).toMatchObject({ positions: { journal: 7 } });
  });

  it("reports a failed timed save and retries it after a quiet period", async () => {
    const dir = await tempDir();
    const h = await harness({ file: path.join(dir, "missing", "state.snapshot"), debounceMs: 20 });
    h.mutate();
    await vi.waitFor(() => expect(h.errors.length).toBeGreaterThan(0), { timeout: 5000, interval: 5 });
    expect((h.errors[0] as NodeJS.ErrnoException).code).toBe("ENOENT");
    await mkdir(path.join(dir, "missing"));
    await h.savedCount(1);
    expect(h.saved[0]?.positions.journal).toBe(1);
    expect(h.errors.length, "retries are paced, not a tight loop").toBeLessThan(4);
    await h.snapshotter.close();
  });

  it("holds the last failure, whoever asked for the save, until a save succeeds", async () => {
    const dir = await tempDir();
    const failed: unknown[] = [];
    const snapshotter = new Snapshotter({
      file: path.join(dir, "missing", "state.snapshot"),
      capture: () => ({ state: { n: 1 }, positions: { journal: 1 } }),
      debounceMs: 60_000,
      onFailed: (error) => failed.push(error),
    });
    expect(snapshotter.failure).toBeUndefined();
    await expect(snapshotter.saveNow()).rejects.toMatchObject({ code: "ENOENT" });
    expect((snapshotter.failure?.error as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect(failed).toHaveLength(1);
    await mkdir(path.join(dir, "missing"));
    await snapshotter.saveNow();
    expect(snapshotter.failure).toBeUndefined();
    expect(failed).toHaveLength(1);
    await snapshotter.close();
  });
});

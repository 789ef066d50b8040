/**
 * The data directory lock. Both ways of holding it (the kernel-held abstract
 * socket on Linux, the lock file alone elsewhere): refused while held, free once
 * released, and a stale lock file — its holder dead, its pid reused by another
 * process, or not a lock at all — never stops a start. The lock file alone also
 * respects a running holder it names. Processes are real (a sleeping child).
 */
import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DataDirLockedError, LOCK_FILE_NAME, holderOf, lockDataDir, type LockOptions } from "../../src/persistence/data-dir-lock.js";
import { useTempDirs } from "./fixtures/temp-dir.js";

const tempDir = useTempDirs();

/** A real process that sleeps until killed. */
function sleeper() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120_000)"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { pid: child.pid as number, kill: async () => (child.kill("SIGKILL"), exited) };
}

/** The identity a process that has exited had while it ran. */
async function deadHolder() {
  const gone = sleeper();
  const identity = holderOf(gone.pid);
  await gone.kill();
  expect(holderOf(gone.pid)).toBeUndefined();
  return identity;
}

const lockText = async (dir: string) => JSON.parse(await readFile(path.join(dir, LOCK_FILE_NAME), "utf8")) as Record<string, unknown>;

const MODES: [string, LockOptions][] = [
  ["the kernel-held lock", {}],
  ["the lock file alone", { fileOnly: true }],
];

describe.each(MODES)("data directory lock, %s", (_, options) => {
  it("is refused while held, naming the holder, and free again once released", async () => {
    const dir = await tempDir();
    const held = await lockDataDir(dir, options);
    expect(await lockText(dir)).toEqual({ ...holderOf(process.pid) });
    const refused = await lockDataDir(dir, options).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holder?.pid).toBe(process.pid);
    expect((refused as Error).message).toContain(`data directory ${dir} is in use by another SSP process (pid ${process.pid},`);
    await held.release();
    expect(await readdir(dir)).toEqual([]);
    await (await lockDataDir(dir, options)).release();
  });

  it("takes over a lock file whose holder is dead", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, LOCK_FILE_NAME), JSON.stringify(await deadHolder()));
    const lock = await lockDataDir(dir, options);
    expect(await lockText(dir)).toEqual({ ...holderOf(process.pid) });
    await lock.release();
  });

  it("takes over a lock file naming a live pid that now belongs to a different process (pid reuse)", async () => {
    const dir = await tempDir();
    const unrelated = sleeper();
    try {
      const live = holderOf(unrelated.pid);
      expect(live?.start).toBeDefined();
      // The pid runs, but that process started at another time than the lock's writer.
      await writeFile(path.join(dir, LOCK_FILE_NAME), JSON.stringify({ ...live, start: String(Number(live?.start) - 1) }));
      const lock = await lockDataDir(dir, options);
      expect((await lockText(dir)).pid).toBe(process.pid);
      await lock.release();
    } finally {
      await unrelated.kill();
    }
  });

  it("takes over a file that is not a lock, and removes dead attempts' temporary files", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, LOCK_FILE_NAME), "");
    await writeFile(path.join(dir, `${LOCK_FILE_NAME}.999999999.x.tmp`), "leftover of a dead attempt");
    const lock = await lockDataDir(dir, options);
    expect(await readdir(dir)).toEqual([LOCK_FILE_NAME]);
    await lock.release();
  });
});

describe("data directory lock", () => {
  it("as a lock file alone, respects a running holder it names", async () => {
    const dir = await tempDir();
    const other = sleeper();
    try {
      await writeFile(path.join(dir, LOCK_FILE_NAME), JSON.stringify(holderOf(other.pid)));
      await expect(lockDataDir(dir, { fileOnly: true })).rejects.toMatchObject({ name: "DataDirLockedError", holder: { pid: other.pid } });
    } finally {
      await other.kill();
    }
  });

  it("held by the kernel, lets exactly one of many simultaneous takers win over a stale lock file", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, LOCK_FILE_NAME), JSON.stringify(await deadHolder()));
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => lockDataDir(dir)));
    const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(refused.every((e) => e instanceof DataDirLockedError)).toBe(true);
    expect((await lockText(dir)).pid).toBe(process.pid);
    await won[0]?.release();
    expect(await readdir(dir)).toEqual([]);
  });
});

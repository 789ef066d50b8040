/**
 * One SSP process per data directory. Two processes on one directory would
 * both acknowledge writes, and a restart would keep only one of their journals.
 *
 * Node has no flock. On Linux the lock is held by the kernel: a Unix socket
 * bound in the abstract namespace under a name made of the directory's device
 * and inode. Binding is atomic and exclusive, and the kernel drops the socket
 * when its process ends, kill -9 included, so a restart succeeds at once and a
 * lock can never be stale. Elsewhere the lock file itself is the lock (below).
 *
 * The lock file `ssp.lock` holds the holder's pid, the process's start time
 * (field 22 of /proc/<pid>/stat) and the machine's boot id, so that a refused
 * start can name the holder. Without abstract sockets it is created with
 * link() (atomic, fails if it exists); a lock whose holder is not running is
 * stale and is taken over. A holder is running when its pid exists, is not a
 * zombie, and started when the lock says (a different process that got the
 * same pid, or one after a reboot, is not it).
 *
 * Invariants:
 * - The lock file is never partly written: it is filled and fsynced under a
 *   unique name, then linked or renamed into place.
 * - Without abstract sockets, a stale lock is removed only if the file removed
 *   is the one judged stale (same inode, same content), and a lock that changed
 *   hands in between is linked back; three processes taking over one stale lock
 *   at the same instant can still both win. Liveness then needs /proc; without
 *   it only the pid is checked.
 * - Processes in different network (Linux) or pid namespaces sharing one
 *   directory cannot see each other's lock: one directory belongs to one host
 *   or container.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { link, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { syncDirectory } from "./durable-fs.js";

export const LOCK_FILE_NAME = "ssp.lock";

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  readonly pid: number;
  /** The process's start time in clock ticks since boot; undefined without /proc. */
  readonly start?: string;
  /** /proc/sys/kernel/random/boot_id; undefined without /proc. */
  readonly boot?: string;
}

/** Another running process holds the data directory. */
export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dir: string,
    /** Undefined when the holder has not written the lock file yet. */
    readonly holder: LockHolder | undefined,
  ) {
    super(
      `data directory ${dir} is in use by another SSP process (${holder === undefined ? "pid unknown" : `pid ${holder.pid}`}, ` +
        `lock file ${path.join(dir, LOCK_FILE_NAME)}); stop it first: two processes on one data directory lose acknowledged writes`,
    );
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Drops the lock and removes the lock file if it is still this process's. Idempotent. */
  release(): Promise<void>;
}

export interface LockOptions {
  /** Use the lock file alone even where abstract sockets exist (tests of that path). */
  readonly fileOnly?: boolean;
}

/** Attempts before giving up when other processes keep taking the lock over. */
const ATTEMPTS = 5;
/** How long a refused start waits for a new holder to write the lock file, to name it. */
const NAME_WAIT_MS = 1000;

/** Takes the lock on `dir` (created if missing), or throws DataDirLockedError naming the holder. */
export async function lockDataDir(dir: string, options: LockOptions = {}): Promise<DataDirLock> {
  await mkdir(dir, { recursive: true });
  const me = holderOf(process.pid);
  if (me === undefined) throw new Error(`cannot read this process's own identity (pid ${process.pid})`);
  const text = `${JSON.stringify(me)}\n`;
  return process.platform === "linux" && options.fileOnly !== true ? socketLock(dir, me, text) : fileLock(dir, me, text);
}

async function socketLock(dir: string, me: LockHolder, text: string): Promise<DataDirLock> {
  const { dev, ino } = await stat(dir);
  const server = createServer((connection) => connection.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(`\0spooky-ssp-data-dir/${dev}/${ino}`, resolve);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    throw new DataDirLockedError(dir, await runningHolder(path.join(dir, LOCK_FILE_NAME)));
  }
  server.unref();
  const file = path.join(dir, LOCK_FILE_NAME);
  const candidate = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeDurably(candidate, text);
    await rename(candidate, file);
    await syncDirectory(dir);
    await removeLeftovers(dir);
  } catch (error) {
    server.close();
    await unlink(candidate).catch(() => undefined);
    throw error;
  }
  const { ino: fileIno } = await stat(file);
  const held = heldLock(file, me, text, fileIno);
  return {
    ...held,
    async release() {
      await held.release();
      server.close();
    },
  };
}

/** The running holder the lock file names, waiting briefly for a holder that has just bound the lock. */
async function runningHolder(file: string): Promise<LockHolder | undefined> {
  const deadline = performance.now() + NAME_WAIT_MS;
  for (;;) {
    const seen = await readLock(file);
    if (seen?.holder !== undefined && isRunning(seen.holder)) return seen.holder;
    if (performance.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function fileLock(dir: string, me: LockHolder, text: string): Promise<DataDirLock> {
  const file = path.join(dir, LOCK_FILE_NAME);
  const candidate = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeDurably(candidate, text);
  try {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await linkIfAbsent(candidate, file)) {
        await syncDirectory(dir);
        const { ino } = await stat(file);
        await removeLeftovers(dir);
        return heldLock(file, me, text, ino);
      }
      const seen = await readLock(file);
      if (seen === undefined) continue;
      if (seen.holder !== undefined && isRunning(seen.holder)) throw new DataDirLockedError(dir, seen.holder);
      await removeStale(file, seen);
    }
    throw new Error(`could not lock data directory ${dir}: its lock kept changing hands`);
  } finally {
    await unlink(candidate).catch(() => undefined);
  }
}

/** The identity of process `pid` now, or undefined if it is not running. */
export function holderOf(pid: number): LockHolder | undefined {
  const proc = procStat(pid);
  if (proc === "no-proc") return signalProbe(pid) ? { pid } : undefined;
  if (proc === undefined || proc.state === "Z" || proc.state === "X") return undefined;
  return { pid, start: proc.start, ...(bootId() === undefined ? {} : { boot: bootId() }) };
}

/** Whether the process a lock names is the one running under its pid now. */
export function isRunning(holder: LockHolder): boolean {
  const now = holderOf(holder.pid);
  if (now === undefined) return false;
  if (holder.boot !== undefined && now.boot !== undefined && holder.boot !== now.boot) return false;
  if (holder.start !== undefined && now.start !== undefined && holder.start !== now.start) return false;
  return true;
}

interface SeenLock {
  /** Undefined when the file does not parse as a lock (then it is stale). */
  readonly holder: LockHolder | undefined;
  readonly text: string;
  readonly ino: number;
}

function heldLock(file: string, holder: LockHolder, text: string, ino: number): DataDirLock {
  let released = false;
  return {
    file,
    holder,
    async release() {
      if (released) return;
      released = true;
      const seen = await readLock(file);
      if (seen === undefined || seen.ino !== ino || seen.text !== text) return;
      await unlink(file);
      await syncDirectory(path.dirname(file));
    },
  };
}

async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await open(file, "wx");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function linkIfAbsent(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The lock file's holder, text and inode, read from one open file; undefined if it is gone. */
async function readLock(file: string): Promise<SeenLock | undefined> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const { ino } = await handle.stat();
    const text = await handle.readFile("utf8");
    return { holder: parseHolder(text), text, ino };
  } finally {
    await handle.close();
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(text) as { pid?: unknown; start?: unknown; boot?: unknown };
    if (!Number.isSafeInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    return {
      pid: parsed.pid as number,
      ...(typeof parsed.start === "string" ? { start: parsed.start } : {}),
      ...(typeof parsed.boot === "string" ? { boot: parsed.boot } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Moves the stale lock aside and deletes it, if it is still the file judged
 * stale; a lock another process took over in the meantime is linked back.
 */
async function removeStale(file: string, stale: SeenLock): Promise<void> {
  const aside = `${file}.${process.pid}.${randomUUID()}.stale`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = await readLock(aside);
  if (moved !== undefined && (moved.ino !== stale.ino || moved.text !== stale.text)) {
    await linkIfAbsent(aside, file);
  }
  await unlink(aside);
  await syncDirectory(path.dirname(file));
}

/** Deletes the temporary files of lock attempts by processes no longer running. */
async function removeLeftovers(dir: string): Promise<void> {
  const prefix = `${LOCK_FILE_NAME}.`;
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix) || !(name.endsWith(".tmp") || name.endsWith(".stale"))) continue;
    const pid = Number(name.slice(prefix.length).split(".")[0]);
    if (!Number.isSafeInteger(pid) || pid === process.pid || holderOf(pid) !== undefined) continue;
    await unlink(path.join(dir, name)).catch(() => undefined);
  }
}

interface ProcStat {
  readonly state: string;
  readonly start: string;
}

/** State and start time from /proc/<pid>/stat; undefined if no such process, "no-proc" without /proc. */
function procStat(pid: number): ProcStat | undefined | "no-proc" {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    return procAvailable() ? undefined : "no-proc";
  }
  // The command name (field 2) is in parentheses and may hold spaces or ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  return { state: fields[0] ?? "", start: fields[19] ?? "" };
}

let procChecked: boolean | undefined;
function procAvailable(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync("/proc/self/stat");
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

let boot: string | undefined | null = null;
function bootId(): string | undefined {
  if (boot === null) {
    try {
      boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      boot = undefined;
    }
  }
  return boot;
}

function signalProbe(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}


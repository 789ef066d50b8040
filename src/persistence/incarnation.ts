/**
 * The incarnation: a random id naming one lineage of states, so that a resume
 * cursor (a view's sequence number) taken from a state that was later lost is
 * recognised, rather than silently matching the same number issued again for
 * other content.
 *
 * `<dir>/incarnation` holds `{"incarnation": id, "mayLoseState": bool}`, written
 * atomically. `mayLoseState` says whether the run that wrote it could end with
 * a state on disk older than what clients saw: true while the journal is off
 * (a crash loses what came after the last snapshot) until a clean stop has
 * saved everything; false with the journal on (clients only see what is
 * fsynced, and recovery replays all of it).
 *
 * The id is kept only when continuity is proven: the file is there and readable,
 * says the last run could not lose state, and recovery set nothing aside.
 * Anything else (a new or wiped data dir, a damaged file, a corrupt state
 * started empty, a journal-off run that was killed) starts a new incarnation.
 */
import { randomUUID } from "node:crypto";
import { open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import { syncDirectory } from "./durable-fs.js";

export interface IncarnationRecord {
  readonly incarnation: string;
  readonly mayLoseState: boolean;
}

export interface StartIncarnationOptions {
  readonly dir: string;
  /** Recovery set the saved state aside: nothing carries over. */
  readonly discarded: boolean;
  /** The journal is on for this run (SSP_JOURNAL). */
  readonly journal: boolean;
}

const FILE = "incarnation";

export function incarnationFile(dir: string): string {
  return path.join(dir, FILE);
}

/** The recorded incarnation, or undefined when there is none or it cannot be read. */
export async function loadIncarnation(dir: string): Promise<IncarnationRecord | undefined> {
  let text: string;
  try {
    text = await readFile(incarnationFile(dir), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<IncarnationRecord>;
    if (typeof parsed.incarnation !== "string" || parsed.incarnation === "" || typeof parsed.mayLoseState !== "boolean") return undefined;
    return { incarnation: parsed.incarnation, mayLoseState: parsed.mayLoseState };
  } catch {
    return undefined;
  }
}

/** Writes the record atomically and durably (temp file, fsync, rename, fsync of the directory). */
export async function saveIncarnation(dir: string, record: IncarnationRecord): Promise<void> {
  const file = incarnationFile(dir);
  const temp = `${file}.tmp-${process.pid}`;
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(JSON.stringify(record));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  await syncDirectory(dir);
}

/**
 * Decides this run's incarnation (after recovery, before serving) and records
 * it with whether this run may lose state. Resolves with the id.
 */
export async function startIncarnation(options: StartIncarnationOptions): Promise<string> {
  const previous = await loadIncarnation(options.dir);
  const continuous = previous !== undefined && !previous.mayLoseState && !options.discarded;
  const incarnation = continuous ? previous.incarnation : randomUUID();
  await saveIncarnation(options.dir, { incarnation, mayLoseState: !options.journal });
  return incarnation;
}

/** A clean stop, after the final snapshot: that state holds everything clients saw. */
export async function endIncarnation(dir: string, incarnation: string): Promise<void> {
  await saveIncarnation(dir, { incarnation, mayLoseState: false });
}

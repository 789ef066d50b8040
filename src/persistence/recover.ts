/**
 * Start-up recovery: load the snapshot, then read the journal entries after the
 * position it covers. Applying those entries, in order, to the snapshot's state gives
 * the state as of the last acknowledged mutation.
 *
 * Layout of a data directory: `<dir>/state.snapshot` and `<dir>/journal/*.log`.
 */
import { access } from "node:fs/promises";
import path from "node:path";
import { moveAside } from "./durable-fs.js";
import { Journal, JournalError, type JournalRecord } from "./journal.js";
import { SnapshotError, loadSnapshot, type IfCorrupt } from "./snapshot-file.js";

export interface RecoverOptions {
  readonly dir: string;
  /**
   * "throw" (default): a corrupt snapshot or journal stops the start (SnapshotError,
   * JournalError). "start-empty": the snapshot and the journal are both set aside
   * (renamed, never deleted) and the service starts with no state and a new journal
   * from position 1 — journal entries mean nothing without the state they apply to.
   */
  readonly ifCorrupt?: IfCorrupt;
  /** Passed to the journal. */
  readonly segmentBytes?: number;
  /** Told when a torn last journal record (a crash mid-write) was dropped. */
  readonly onTornTail?: (problem: string) => void;
}

export interface Recovered<S, E> {
  /** The snapshot's state; undefined when there was none (or it was discarded). */
  readonly state: S | undefined;
  /** The journal position the state covers (0 without a snapshot). */
  readonly snapshotPosition: number;
  /** The journal entries after it, in order: apply them to `state`. */
  readonly entries: JournalRecord<E>[];
  /** The journal, open and ready for appends. */
  readonly journal: Journal<E>;
  readonly paths: DataPaths;
  /** Under "start-empty", what made recovery discard the saved state. */
  readonly discarded: SnapshotError | JournalError | undefined;
}

export interface DataPaths {
  readonly snapshotFile: string;
  readonly journalDir: string;
}

export function dataPaths(dir: string): DataPaths {
  return { snapshotFile: path.join(dir, "state.snapshot"), journalDir: path.join(dir, "journal") };
}

/** Throws SnapshotError or JournalError when the saved state is unusable (unless "start-empty"). */
export async function recover<S, E>(options: RecoverOptions): Promise<Recovered<S, E>> {
  const paths = dataPaths(options.dir);
  try {
    return await load<S, E>(paths, options);
  } catch (error) {
    const unusable = error instanceof SnapshotError || error instanceof JournalError;
    if (!unusable || options.ifCorrupt !== "start-empty") throw error;
    // Idempotent if it crashes part-way: a later start sees a missing snapshot and a
    // journal it cannot use, or no journal, and ends up here or empty again.
    if (await exists(paths.snapshotFile)) await moveAside(paths.snapshotFile, "discarded");
    if (await exists(paths.journalDir)) await moveAside(paths.journalDir, "discarded");
    const fresh = await load<S, E>(paths, options);
    return { ...fresh, discarded: error };
  }
}

async function load<S, E>(paths: DataPaths, options: RecoverOptions): Promise<Recovered<S, E>> {
  const snapshot = await loadSnapshot<S>(paths.snapshotFile);
  const snapshotPosition = snapshot?.positions.journal ?? 0;
  const journal = await Journal.open<E>({
    dir: paths.journalDir,
    firstPosition: snapshotPosition + 1,
    ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
    ...(options.onTornTail === undefined ? {} : { onTornTail: options.onTornTail }),
  });
  try {
    const entries = await journal.readAfter(snapshotPosition);
    return { state: snapshot?.state, snapshotPosition, entries, journal, paths, discarded: undefined };
  } catch (error) {
    await journal.close();
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

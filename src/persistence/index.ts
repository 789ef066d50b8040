/**
 * Persistence's public surface: snapshots, the journal, and start-up recovery. It is
 * generic over a JSON-serialisable state S and journal entries E. Wiring, in order:
 *
 *   const { state, entries, journal, paths } = await recover<S, E>({ dir });
 *   // build from `state`, apply each entries[i].entry in order
 *   const snapshotter = new Snapshotter<S>({ file: paths.snapshotFile, journal,
 *     capture: () => ({ state: exportState(), positions: { journal: journal.lastAppendedPosition } }) });
 *   // per mutation, in the writer queue, in one tick: apply m (if it throws, nothing
 *   // is journaled); const durable = journal.append(m); snapshotter.schedule();
 *   // then `await durable` before answering.
 *   // shutdown: await snapshotter.close(); await journal.close();
 * and, after recovery and before serving, startIncarnation({ dir, discarded, journal })
 * names the lineage of states (endIncarnation after a clean shutdown).
 */
export {
  DataDirLockedError,
  LOCK_FILE_NAME,
  lockDataDir,
  type DataDirLock,
  type LockHolder,
} from "./data-dir-lock.js";
export { jsonChunks, type JsonChunkOptions } from "./chunked-json.js";
export {
  DEFAULT_SEGMENT_BYTES,
  Journal,
  JournalError,
  type JournalOptions,
  type JournalRecord,
  type JournalStats,
} from "./journal.js";
export {
  endIncarnation,
  incarnationFile,
  loadIncarnation,
  saveIncarnation,
  startIncarnation,
  type IncarnationRecord,
  type StartIncarnationOptions,
} from "./incarnation.js";
export { dataPaths, recover, type DataPaths, type RecoverOptions, type Recovered } from "./recover.js";
export {
  SNAPSHOT_FORMAT_VERSION,
  SnapshotError,
  loadSnapshot,
  saveSnapshot,
  type IfCorrupt,
  type LoadSnapshotOptions,
  type LoadedSnapshot,
  type SavedSnapshot,
  type SnapshotContents,
  type SourcePositions,
} from "./snapshot-file.js";
export {
  DEFAULT_SAVE_DEBOUNCE_MS,
  DEFAULT_SAVE_MAX_DELAY_MS,
  Snapshotter,
  type SnapshotSaved,
  type SnapshotterOptions,
} from "./snapshotter.js";

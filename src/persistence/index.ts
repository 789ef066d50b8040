/** Persistence's public surface: snapshots, the journal, and start-up recovery. */
export { jsonChunks, type JsonChunkOptions } from "./chunked-json.js";
export {
  DEFAULT_SEGMENT_BYTES,
  Journal,
  JournalError,
  type JournalOptions,
  type JournalRecord,
  type JournalStats,
} from "./journal.js";
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
} from "./snapshot-file.js";
export {
  DEFAULT_SAVE_DEBOUNCE_MS,
  DEFAULT_SAVE_MAX_DELAY_MS,
  Snapshotter,
  type SnapshotSaved,
  type SnapshotterOptions,
} from "./snapshotter.js";

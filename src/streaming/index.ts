/** The delta hub behind WatchDeltas. The server maps its messages and errors to the proto. */
export { DeltaHub } from "./delta-hub.js";
export {
  HubClosedError,
  InvalidWatchRequestError,
  ResetError,
  StreamOverflowError,
  ViewNotFoundError,
} from "./errors.js";
export type {
  ClosedMessage,
  DeltaHubOptions,
  DeltaMessage,
  HeartbeatMessage,
  RecordBody,
  SnapshotMessage,
  ViewSource,
  WatchDelta,
  WatchMessage,
  WatchRequest,
} from "./types.js";

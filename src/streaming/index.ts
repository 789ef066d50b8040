/**
 * The delta hub behind WatchDeltas. The server maps its messages and errors to
 * the proto (errors by their `code`). Wiring, in the writer queue, synchronously
 * after the circuit applied each mutation:
 *   register   → hub.viewRegistered(id, clientId, result.replaced)
 *   unregister → hub.viewUnregistered(id, result.view.sequence)
 *   ingest     → hub.publish(result.views)
 *   reset      → hub.reset()
 *   shutdown   → hub.close()
 */
export { DeltaHub } from "./delta-hub.js";
export {
  HubClosedError,
  InvalidWatchRequestError,
  ResetError,
  StreamExpiredError,
  StreamOverflowError,
  ViewNotFoundError,
  WatchPermissionError,
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

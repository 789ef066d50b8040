/**
 * The delta hub behind WatchDeltas. The server maps its messages and errors to
 * the proto (errors by their `code`). Wiring, in the writer queue, synchronously
 * after the circuit applied each mutation and the journal assigned it position P:
 *   register   → hub.viewRegistered(id, clientId, result.replaced, P)
 *   unregister → hub.viewUnregistered(id, result.view.sequence, P)
 *   ingest     → hub.publish(result.views, P)
 *   reset      → hub.reset(P)
 *   subscribe  → hub.subscribe(request, signal, last position applied)
 * and, as the journal's fsyncs complete, hub.durable(last durable position);
 * streams deliver nothing beyond it. A journal that fails → hub.halt(error).
 *   shutdown   → hub.close()
 */
export { DeltaHub } from "./delta-hub.js";
export {
  DeliveryHaltedError,
  HubClosedError,
  InvalidWatchRequestError,
  ResetError,
  StreamExpiredError,
  StreamOverflowError,
  StreamQuotaError,
  ViewNotFoundError,
  WatchPermissionError,
} from "./errors.js";
export { StreamQuota, type StreamQuotaLimits } from "./stream-quota.js";
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

/**
 * Why a WatchDeltas request fails or a stream ends. Each error has a `code` named
 * after the gRPC status it maps to, so the server maps them by duck typing
 * without src/streaming importing anything from Connect.
 */

/** The request is malformed (no view and no client id, a negative cursor…). */
export class InvalidWatchRequestError extends Error {
  override name = "InvalidWatchRequestError";
  readonly code = "INVALID_ARGUMENT" as const;
}

/** Some requested view ids are not registered; nothing was streamed. */
export class ViewNotFoundError extends Error {
  override name = "ViewNotFoundError";
  readonly code = "NOT_FOUND" as const;
  readonly viewIds: readonly string[];

  constructor(viewIds: readonly string[]) {
    super(`unknown view id${viewIds.length === 1 ? "" : "s"}: ${viewIds.map((id) => JSON.stringify(id)).join(", ")}`);
    this.viewIds = viewIds;
  }
}

/**
 * The consumer fell `queueLimit` messages behind. `lastSequences` holds, per view,
 * the last sequence the consumer took from the stream (views it had not yet
 * received a snapshot of are absent): resubscribing with it as `resumeFrom`
 * continues without gaps or repeats.
 */
export class StreamOverflowError extends Error {
  override name = "StreamOverflowError";
  readonly code = "RESOURCE_EXHAUSTED" as const;
  readonly lastSequences: ReadonlyMap<string, number>;

  constructor(queueLimit: number, lastSequences: ReadonlyMap<string, number>) {
    const cursors = [...lastSequences].map(([id, seq]) => `${id}=${seq}`).join(", ");
    super(`stream fell more than ${queueLimit} messages behind; resume from {${cursors}}`);
    this.lastSequences = lastSequences;
  }
}

/**
 * A scoped stream (WatchRequest.owner) named views that are not its owner's,
 * or another client id. Unknown views get this too, not ViewNotFoundError, so
 * a scoped caller cannot tell another client's view from no view at all.
 */
export class WatchPermissionError extends Error {
  override name = "WatchPermissionError";
  readonly code = "PERMISSION_DENIED" as const;
}

/**
 * The stream reached its `endsAt` (its credentials expired). Like an overflow,
 * it carries the cursors of what the consumer took, so a reconnect with fresh
 * credentials continues without gaps or repeats.
 */
export class StreamExpiredError extends Error {
  override name = "StreamExpiredError";
  readonly code = "UNAUTHENTICATED" as const;
  readonly lastSequences: ReadonlyMap<string, number>;

  constructor(endsAt: number, lastSequences: ReadonlyMap<string, number>) {
    const cursors = [...lastSequences].map(([id, seq]) => `${id}=${seq}`).join(", ");
    super(`credentials expired at ${new Date(endsAt).toISOString()}; reconnect with a fresh token and resume from {${cursors}}`);
    this.lastSequences = lastSequences;
  }
}

/** How long a client refused by a stream quota should wait: streams end and reconnect often, so slots free up quickly. */
export const STREAM_QUOTA_RETRY_MS = 5000;

/**
 * Opening the stream would go over a stream quota (stream-quota.ts); nothing
 * was streamed. `reason`, `errorMetadata` and `retryDelayMs` become the
 * status's ErrorInfo and RetryInfo.
 */
export class StreamQuotaError extends Error {
  override name = "StreamQuotaError";
  readonly code = "RESOURCE_EXHAUSTED" as const;
  readonly reason = "QUOTA_EXCEEDED";
  readonly errorMetadata: Readonly<Record<string, string>>;
  readonly retryDelayMs = STREAM_QUOTA_RETRY_MS;

  constructor(message: string, limit: string, value: number, clientId?: string) {
    super(message);
    this.errorMetadata = { limit, value: String(value), ...(clientId === undefined ? {} : { client_id: clientId }) };
  }
}

/** The server's state was reset: every view is gone, so every stream ends. */
export class ResetError extends Error {
  override name = "ResetError";
  readonly code = "ABORTED" as const;

  constructor() {
    super("the server state was reset; every view was removed");
  }
}

/** The hub is shut down and accepts no new streams. */
export class HubClosedError extends Error {
  override name = "HubClosedError";
  readonly code = "UNAVAILABLE" as const;

  constructor() {
    super("the server is shutting down");
  }
}

/**
 * Nothing can become durable any more (the journal failed), so no stream can be
 * given anything further: every stream ends with this, and new ones are refused
 * until the server restarts.
 */
export class DeliveryHaltedError extends Error {
  override name = "DeliveryHaltedError";
  readonly code = "UNAVAILABLE" as const;
}

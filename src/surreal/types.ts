/** The SurrealDB seam: what SSP needs from a connection, and the logger it reports to. */

/**
 * What SSP needs from SurrealDB: run a query (possibly a multi-statement
 * transaction) in one round trip. Tests wrap it to count round trips or inject faults.
 */
export interface SurrealDatabase {
  query(text: string, bindings: Record<string, unknown>): Promise<unknown[]>;
  /** True when a trivial query succeeds now. Never throws. */
  isReachable(): Promise<boolean>;
  /** Why the last connect attempt failed, while not connected (for readiness). */
  unavailableReason?(): string | undefined;
  close(): Promise<void>;
}

/** Pino-compatible subset, so the telemetry layer can pass its logger as is. */
export interface SurrealLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: SurrealLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Backoff between retries: starts at `initialMs`, doubles up to `maxMs` (with jitter). */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

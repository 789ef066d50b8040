/**
 * Which SurrealDB failures retrying cannot fix.
 *
 * The rule: a failure is permanent when SurrealDB received the statement and
 * refused it — the SDK's ServerError family (ValidationError: a parse error or bad
 * parameter; InternalError: a type/schema coercion error, a record id conflict, a
 * transaction too large for the engine such as surrealkv's "Memtable arena is
 * full"; ThrownError, SerializationError, NotFoundError, AlreadyExistsError,
 * ConfigurationError, NotAllowedError) — except the refusals that say "try again":
 * a query timeout, a cancellation, a transaction conflict, an expired token.
 * Everything else is transient: the connection is down or was lost mid-call
 * (SurrealConnection's ConnectionUnavailableError, the SDK's
 * ConnectionUnavailableError, CallTerminatedError, UnexpectedConnectionError,
 * HttpConnectionError, reconnect errors), our own transaction timeout, and any
 * error this rule does not know, so an unknown failure is retried rather than
 * skipped (a transient failure that lasts is reported by readiness instead).
 */
import { NotAllowedError, QueryError, ServerError } from "surrealdb";

export function isPermanentFailure(error: unknown): boolean {
  if (!(error instanceof ServerError)) return false;
  if (error instanceof QueryError) return !(error.isTimedOut || error.isCancelled || error.isTransactionConflict);
  if (error instanceof NotAllowedError) return !error.isTokenExpired;
  return true;
}

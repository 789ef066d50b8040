/**
 * What SSP accepts from a client, checked at the edge before any work: how many
 * changes one batch may carry, how long ids may be, and which table names are
 * valid. Every RPC handler goes through these checks (via convert.ts); the
 * circuit then checks the syntax of record ids and the bodies. Every limit on
 * counts and identifiers lives here, in one place; limits on byte sizes are
 * RESOURCE_EXHAUSTED and live with the code that measures them.
 *
 * Codes: a request over one of these limits is INVALID_ARGUMENT. It is wrong
 * whatever the server's state, and sending it again unchanged can never succeed;
 * RESOURCE_EXHAUSTED, which clients and retry policies read as "try again
 * later", is kept for byte sizes (as gRPC itself answers a message over its size).
 *
 * The limits apply to new requests only: state recovered from a snapshot or the
 * journal was accepted under the rules of its day and is not checked again.
 */
import { Code, type ConnectError } from "@connectrpc/connect";
import { tableOfRecordId } from "../circuit/index.js";
import { detailedError } from "./error-details.js";

export interface RequestLimits {
  /** Changes per IngestBatch (SSP_MAX_BATCH_CHANGES). */
  readonly maxBatchChanges: number;
}

/** 1,000 changes are about 30 ms of engine time on one core: a batch never stalls other calls for long. */
export const DEFAULT_MAX_BATCH_CHANGES = 1000;
/** View ids are 1 to 256 characters (the proto says so). */
export const MAX_VIEW_ID_LENGTH = 256;
export const MAX_CLIENT_ID_LENGTH = 256;
/** Record id text, `table:key` with its escapes. */
export const MAX_RECORD_ID_LENGTH = 1024;
export const MAX_TABLE_NAME_LENGTH = 256;
/** View ids one WatchDeltas names, and resume cursors it carries; more views are followed by client id. */
export const MAX_WATCH_VIEWS = 1000;

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxBatchChanges: DEFAULT_MAX_BATCH_CHANGES };

/** ErrorInfo reason INVALID_ARGUMENT, with the field when one is named. */
export function invalidArgument(message: string, field?: string): ConnectError {
  return detailedError(message, Code.InvalidArgument, { reason: "INVALID_ARGUMENT", ...(field === undefined ? {} : { metadata: { field } }) });
}

/** A count or length over one of these limits: ErrorInfo reason LIMIT_EXCEEDED naming it. */
function limitExceeded(message: string, field: string, limit: string, value: number): ConnectError {
  return detailedError(message, Code.InvalidArgument, { reason: "LIMIT_EXCEEDED", metadata: { field, limit, value: String(value) } });
}

export function checkBatchSize(count: number, limits: RequestLimits): void {
  if (count > limits.maxBatchChanges) {
    throw limitExceeded(
      `changes has ${count} entries; a batch holds at most ${limits.maxBatchChanges} (SSP_MAX_BATCH_CHANGES): split it`,
      "changes",
      "SSP_MAX_BATCH_CHANGES",
      limits.maxBatchChanges,
    );
  }
}

export function checkWatchSize(viewIds: number, resumeCursors: number): void {
  if (viewIds > MAX_WATCH_VIEWS) {
    throw limitExceeded(
      `view_ids has ${viewIds} entries; a stream names at most ${MAX_WATCH_VIEWS} views: follow more by client_id`,
      "view_ids",
      "MAX_WATCH_VIEWS",
      MAX_WATCH_VIEWS,
    );
  }
  if (resumeCursors > MAX_WATCH_VIEWS) {
    throw limitExceeded(
      `resume_from has ${resumeCursors} entries; a stream resumes at most ${MAX_WATCH_VIEWS} views`,
      "resume_from",
      "MAX_WATCH_VIEWS",
      MAX_WATCH_VIEWS,
    );
  }
}

export function checkViewId(id: string, field: string): string {
  if (id === "") throw invalidArgument(`${field} is required`, field);
  checkLength(id, field, MAX_VIEW_ID_LENGTH, "view ids");
  checkWellFormed(id, field);
  return id;
}

/** The empty client id is allowed: it means "no client". */
export function checkClientId(id: string, field: string): string {
  checkLength(id, field, MAX_CLIENT_ID_LENGTH, "client ids");
  checkWellFormed(id, field);
  return id;
}

/**
 * Length, Unicode and the table rule. The id's syntax is the circuit's to judge
 * (it owns the one parser): an id that does not parse passes here and is refused
 * there, naming the change.
 */
export function checkRecordId(id: string, field: string): void {
  checkLength(id, field, MAX_RECORD_ID_LENGTH, "record ids");
  checkWellFormed(id, field);
  const table = tableOfRecordId(id);
  if (table !== undefined) checkTableName(table, `${field} (its table)`);
}

/**
 * A table name SSP accepts is one SurrealDB stores unchanged and a view can
 * name. SurrealDB takes any string as a table when it is bound as a parameter
 * (as SSP's edge writes bind it), escaping odd ones in its text form
 * (`` `a b`:1 ``), so the syntax of a plain identifier is not the rule. What
 * does not survive, checked against an embedded SurrealDB:
 * - a lone UTF-16 surrogate: SurrealDB stores U+FFFD in its place, so the edge
 *   would point into another table (the same holds for every id: see checkWellFormed);
 * - NUL: SurrealQL refuses null bytes anywhere in a query, and the view parser
 *   (@surrealdb/ql-wasm) does not read the `\0` escape SurrealDB prints for it
 *   (`` `a\0b`:1 ``), so no view could ever name the table;
 * - the empty name: the proto's `table` field uses "" for "not given".
 * Anything else, escaped as ⟨…⟩ or `…` where it is not a plain identifier, is a table.
 */
export function checkTableName(name: string, field: string): void {
  if (name === "") throw invalidArgument(`${field} must not be empty`, field);
  checkLength(name, field, MAX_TABLE_NAME_LENGTH, "table names");
  checkWellFormed(name, field);
  if (name.includes("\u0000")) {
    throw invalidArgument(`${field} contains a NUL character, which SurrealQL cannot name: table names must not hold U+0000`, field);
  }
}

function checkLength(value: string, field: string, max: number, what: string): void {
  if (value.length > max) throw limitExceeded(`${field} is ${value.length} characters long; ${what} are at most ${max}`, field, "MAX_LENGTH", max);
}

/** SurrealDB (and every UTF-8 wire) replaces a lone surrogate with U+FFFD: such an id would not come back as sent. */
function checkWellFormed(value: string, field: string): void {
  if (!value.isWellFormed()) {
    throw invalidArgument(`${field} is not well-formed Unicode (it holds a lone UTF-16 surrogate), so it would not survive storage`, field);
  }
}

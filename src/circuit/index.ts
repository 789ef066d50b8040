/** The circuit's public surface. Nothing outside src/circuit imports its internals. */
export type * from "./types.js";
export { RecordId, RecordIdSyntaxError, parseRecordId, type RecordKey } from "./record-id.js";

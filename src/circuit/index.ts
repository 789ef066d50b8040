/** The circuit's public surface. Nothing outside src/circuit imports its internals. */
export type * from "./types.js";
export { RecordId, RecordIdSyntaxError, parseRecordId, tableOfRecordId, type RecordKey } from "./record-id.js";
export { Circuit, type CircuitOptions } from "./circuit.js";
export { DEFAULT_QUERY_LIMITS, MAX_AST_DEPTH, type QueryLimits } from "./parse/query-limits.js";
export {
  SurrealQLParser,
  freshInstance,
  sharedParser,
  type InstanceLoader,
  type ParserEvent,
  type ParserHealth,
  type ParserState,
  type QlInstance,
} from "./parse/surrealql-parser.js";
export { CircuitError, type CircuitErrorCode } from "./errors.js";
export { evaluateView, type RecordInput } from "./evaluate.js";
export { SNAPSHOT_FORMAT_VERSION, type CircuitSnapshot } from "./snapshot.js";
export type { Value, ValueObject } from "./values/value.js";
export { fromWire, toWire } from "./values/wire.js";

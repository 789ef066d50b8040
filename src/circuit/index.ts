/** The circuit's public surface. Nothing outside src/circuit imports its internals. */
export type * from "./types.js";
export { RecordId, RecordIdSyntaxError, parseRecordId, tableOfRecordId, type RecordKey } from "./record-id.js";
export { Circuit } from "./circuit.js";
export { CircuitError, type CircuitErrorCode } from "./errors.js";
export { evaluateView, type RecordInput } from "./evaluate.js";
export { SNAPSHOT_FORMAT_VERSION, type CircuitSnapshot } from "./snapshot.js";
export type { Value, ValueObject } from "./values/value.js";
export { fromWire, toWire } from "./values/wire.js";

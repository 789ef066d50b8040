/** The circuit's only error type: the server maps `code` to the gRPC status of the same name. */
export type CircuitErrorCode = "INVALID_ARGUMENT" | "NOT_FOUND" | "UNAVAILABLE";

export class CircuitError extends Error {
  override name = "CircuitError";
  readonly code: CircuitErrorCode;
  /** For ingest: the index of the first bad change in the batch. */
  readonly index?: number;

  constructor(code: CircuitErrorCode, message: string, index?: number) {
    super(message);
    this.code = code;
    if (index !== undefined) this.index = index;
  }
}

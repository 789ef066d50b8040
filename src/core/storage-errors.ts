/**
 * What a client is told when SSP's own files fail it. The codes follow gRPC's
 * meanings: RESOURCE_EXHAUSTED when the file system is out of space (or a file
 * hit its size limit), UNAVAILABLE otherwise. Either way nothing the request
 * asked for was made durable, so it was not acknowledged.
 */
import { JournalError } from "../persistence/index.js";

export type StorageErrorCode = "UNAVAILABLE" | "RESOURCE_EXHAUSTED";

/** Read by the server's error mapping through `code` (a gRPC code name). */
export class StorageError extends Error {
  override name = "StorageError";
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** errno codes that mean "no room": the disk, a quota, or RLIMIT_FSIZE. */
const OUT_OF_SPACE = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);

/**
 * A journal that failed once refuses every later append (after a failed write or
 * fsync nothing about the file can be trusted), so mutations stay refused until
 * SSP restarts on a working disk.
 */
export function journalUnavailable(failure: JournalError): StorageError {
  return new StorageError(
    "UNAVAILABLE",
    `the journal cannot write, so no mutation can be made durable until SSP restarts on a working disk: ${failure.message}`,
    { cause: failure },
  );
}

/** A snapshot that could not be written: the state and the journal still hold everything acknowledged. */
export function snapshotFailed(error: unknown): StorageError | undefined {
  if (error instanceof JournalError) return undefined;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno !== "string" || !errno.startsWith("E")) return undefined;
  return new StorageError(
    OUT_OF_SPACE.has(errno) ? "RESOURCE_EXHAUSTED" : "UNAVAILABLE",
    `the snapshot could not be written (${errno}): ${(error as Error).message}`,
    { cause: error },
  );
}

/** One line for readiness: the error's message, or its text. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

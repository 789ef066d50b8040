/**
 * One snapshot file: a JSON-serialisable state plus the position of every source
 * of mutations it covers (today the journal; later a change-feed cursor or a
 * cluster log offset), written atomically (temp file in the same directory,
 * fsync, rename, fsync of the directory), so a crash at any moment leaves either
 * the old file or the new one.
 *
 * Layout (integers big-endian):
 *
 *   0  8  magic "SSP-SNAP"
 *   8  4  format version (2; version 1 is still read)
 *  12  4  CRC-32 of the payload followed by bytes 16..32
 *  16  8  journal position covered (every journal entry ≤ it is in the state)
 *  24  8  payload length in bytes
 *  32  …  payload, UTF-8 JSON: version 2 `{"positions":{…},"state":…}` (positions.journal
 *         equals bytes 16..24); version 1 the state alone (positions: the journal's)
 *
 * The payload is serialised in chunks with file writes in between, so a save costs
 * the event loop a few milliseconds at a time, not one long pause.
 */
import { randomBytes } from "node:crypto";
import { open, readdir, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { crc32 } from "node:zlib";
import { jsonChunks } from "./chunked-json.js";
import { moveAside, syncDirectory, writeFully } from "./durable-fs.js";

/**
 * Where the state stands in each source of mutations it covers. A new source adds
 * a field (a version-1 file, written before it existed, lacks it).
 */
export interface SourcePositions {
  /** The last journal position whose entry the state includes (0: none). */
  readonly journal: number;
}

/** What a snapshot holds. `state` must not be mutated while a save of it runs. */
export interface SnapshotContents<S> {
  readonly state: S;
  readonly positions: SourcePositions;
}

export interface LoadedSnapshot<S> extends SnapshotContents<S> {
  /** Size of the file read. */
  readonly bytes: number;
}

export interface SavedSnapshot {
  readonly bytes: number;
  /** Wall time of the whole save, I/O included. */
  readonly durationMs: number;
  /** The longest stretch the save held the event loop (one serialisation slice). */
  readonly longestPauseMs: number;
}

/** What to do with a corrupt or unreadable snapshot, once it is moved aside. */
export type IfCorrupt = "throw" | "start-empty";

export interface LoadSnapshotOptions {
  /**
   * "throw" (the default) stops the start with a SnapshotError; "start-empty" reports
   * the error to `onDiscarded` and carries on as if there were no snapshot.
   */
  readonly ifCorrupt?: IfCorrupt;
  readonly onDiscarded?: (error: SnapshotError) => void;
}

/** A snapshot file that cannot be used. The file has been moved to `movedTo`. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
  readonly file: string;
  readonly problem: string;
  readonly movedTo: string | undefined;

  constructor(file: string, problem: string, movedTo: string | undefined) {
    super(
      `snapshot ${file} is unusable: ${problem}` +
        (movedTo === undefined ? "" : `; moved aside to ${movedTo}`) +
        "; restore a good snapshot, or start empty explicitly (losing the saved state)",
    );
    this.file = file;
    this.problem = problem;
    this.movedTo = movedTo;
  }
}

export const SNAPSHOT_FORMAT_VERSION = 2;
/** The first format, whose payload is the state alone and which covers only the journal. */
const STATE_ONLY_FORMAT_VERSION = 1;
const MAGIC = Buffer.from("SSP-SNAP", "latin1");
const HEADER_BYTES = 32;
const TEMP_INFIX = ".tmp-";

/** Writes `contents` to `file` atomically and durably. */
export async function saveSnapshot<S>(file: string, contents: SnapshotContents<S>): Promise<SavedSnapshot> {
  const position = contents.positions.journal;
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(`journal position must be a non-negative safe integer, got ${position}`);
  }
  const started = performance.now();
  const temp = `${file}${TEMP_INFIX}${process.pid}-${randomBytes(4).toString("hex")}`;
  const handle = await open(temp, "wx");
  let longestPauseMs = 0;
  let payloadBytes = 0;
  try {
    let checksum = 0;
    let offset = HEADER_BYTES;
    const chunks = envelopeChunks(contents);
    for (;;) {
      const sliceStart = performance.now();
      const next = chunks.next();
      if (next.done) break;
      const bytes = Buffer.from(next.value, "utf8");
      checksum = crc32(bytes, checksum);
      longestPauseMs = Math.max(longestPauseMs, performance.now() - sliceStart);
      await writeFully(handle, bytes, offset);
      offset += bytes.length;
    }
    payloadBytes = offset - HEADER_BYTES;
    await writeFully(handle, encodeHeader(position, payloadBytes, checksum), 0);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  await syncDirectory(path.dirname(file));
  return { bytes: HEADER_BYTES + payloadBytes, durationMs: performance.now() - started, longestPauseMs };
}

/**
 * Reads the snapshot at `file`: undefined when there is none. A file that is
 * truncated, fails its checksum or has an unknown format version is moved aside and
 * reported (see LoadSnapshotOptions). Leftover temp files of an interrupted save are
 * removed.
 */
export async function loadSnapshot<S = unknown>(
  file: string,
  options: LoadSnapshotOptions = {},
): Promise<LoadedSnapshot<S> | undefined> {
  await removeStrayTempFiles(file);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const decoded = decode<S>(data);
  if (typeof decoded !== "string") return { ...decoded, bytes: data.length };
  const movedTo = await moveAside(file);
  const error = new SnapshotError(file, decoded, movedTo);
  if (options.ifCorrupt !== "start-empty") throw error;
  options.onDiscarded?.(error);
  return undefined;
}

/** The contents, or the problem with them. */
function decode<S>(data: Buffer): SnapshotContents<S> | string {
  const truncated = `truncated: ${data.length} bytes, shorter than the ${HEADER_BYTES}-byte header`;
  const magicBytes = Math.min(data.length, MAGIC.length);
  if (!data.subarray(0, magicBytes).equals(MAGIC.subarray(0, magicBytes))) {
    return "not an SSP snapshot (bad magic bytes)";
  }
  if (data.length < 12) return truncated;
  const version = data.readUInt32BE(8);
  if (version !== SNAPSHOT_FORMAT_VERSION && version !== STATE_ONLY_FORMAT_VERSION) {
    return `unknown format version ${version} (this build reads versions ${STATE_ONLY_FORMAT_VERSION} to ${SNAPSHOT_FORMAT_VERSION})`;
  }
  if (data.length < HEADER_BYTES) return truncated;
  const position = data.readBigUInt64BE(16);
  const declared = data.readBigUInt64BE(24);
  const actual = BigInt(data.length - HEADER_BYTES);
  if (declared !== actual) {
    return declared > actual
      ? `truncated: payload is ${actual} bytes, header says ${declared}`
      : `payload is ${actual} bytes, header says ${declared} (trailing bytes)`;
  }
  const expected = data.readUInt32BE(12);
  const checksum = crc32(data.subarray(16, HEADER_BYTES), crc32(data.subarray(HEADER_BYTES)));
  if (checksum !== expected) {
    return `checksum mismatch (header ${hex(expected)}, content ${hex(checksum)})`;
  }
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) return `journal position ${position} is out of range`;
  let payload: unknown;
  try {
    payload = JSON.parse(data.toString("utf8", HEADER_BYTES));
  } catch (error) {
    return `payload is not valid JSON: ${(error as Error).message}`;
  }
  if (version === STATE_ONLY_FORMAT_VERSION) return { state: payload as S, positions: { journal: Number(position) } };
  const envelope = payload as { positions?: { journal?: unknown }; state?: unknown } | null;
  if (typeof envelope !== "object" || envelope === null || !("state" in envelope) || typeof envelope.positions !== "object" || envelope.positions === null) {
    return "payload has no positions and state";
  }
  if (envelope.positions.journal !== Number(position)) {
    return `payload's journal position ${String(envelope.positions.journal)} differs from the header's ${position}`;
  }
  return { state: envelope.state as S, positions: envelope.positions as SourcePositions };
}

/** The version-2 payload, serialised in slices like the state inside it. */
function* envelopeChunks<S>(contents: SnapshotContents<S>): Generator<string> {
  yield `{"positions":${JSON.stringify(contents.positions)},"state":`;
  yield* jsonChunks(contents.state);
  yield "}";
}

function encodeHeader(position: number, payloadBytes: number, payloadChecksum: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(SNAPSHOT_FORMAT_VERSION, 8);
  header.writeBigUInt64BE(BigInt(position), 16);
  header.writeBigUInt64BE(BigInt(payloadBytes), 24);
  header.writeUInt32BE(crc32(header.subarray(16, HEADER_BYTES), payloadChecksum), 12);
  return header;
}

/** A crash between creating the temp file and the rename leaves it behind. */
async function removeStrayTempFiles(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}${TEMP_INFIX}`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const name of names) {
    if (name.startsWith(prefix)) await unlink(path.join(dir, name));
  }
}

function hex(value: number): string {
  return value.toString(16).padStart(8, "0");
}

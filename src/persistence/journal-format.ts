/**
 * The journal's on-disk format and the scanner that reads it back.
 *
 * A segment file is named for the position of its first entry (20 digits, so names
 * sort by position) and holds a 12-byte header, then records back to back:
 *
 *   segment header:  "SSP-JRNL" (8) | format version (4)
 *   record:          CRC-32 of the rest of the record (4) | payload length (4)
 *                    | position (8) | payload: the entry as UTF-8 JSON
 *
 * Integers are big-endian. Every record names its own position, so a record can
 * never be taken for another, and the checksum covers length, position and payload,
 * so a torn or damaged record is detected rather than misread.
 */
import { crc32 } from "node:zlib";

export const JOURNAL_FORMAT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 12;
export const RECORD_HEADER_BYTES = 16;
const MAGIC = Buffer.from("SSP-JRNL", "latin1");
const SEGMENT_NAME = /^(\d{20})\.log$/;
const TWO_32 = 2 ** 32;
/** How far past the damaged record a valid later one is searched for. */
const LOOKAHEAD_POSITIONS = 1 << 20;

/** The journal directory holds something that cannot be read back faithfully. */
export class JournalError extends Error {
  override name = "JournalError";
}

/** Where one record's payload sits in a segment's bytes. */
export interface ScannedRecord {
  readonly position: number;
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

export interface SegmentScan {
  readonly records: ScannedRecord[];
  /** Bytes up to the end of the last good record (at least the header). */
  readonly validBytes: number;
  /** Set when the segment ends in a torn write: what was wrong with it. */
  readonly torn: string | undefined;
}

export interface ScanOptions {
  /** The segment is the journal's last, where a crash can leave a torn write. */
  readonly tail: boolean;
  /** Stop before any record after this position (it may still be being written). */
  readonly limit?: number;
}

export function segmentFileName(firstPosition: number): string {
  return `${String(firstPosition).padStart(20, "0")}.log`;
}

/** The first position a segment file name stands for, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return undefined;
  const position = Number(match[1]);
  return Number.isSafeInteger(position) ? position : undefined;
}

export function encodeSegmentHeader(): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(JOURNAL_FORMAT_VERSION, 8);
  return header;
}

/** One record holding `json`. */
export function encodeRecord(position: number, json: string): Buffer {
  const length = Buffer.byteLength(json, "utf8");
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length);
  record.writeUInt32BE(length, 4);
  record.writeUInt32BE(Math.floor(position / TWO_32), 8);
  record.writeUInt32BE(position % TWO_32, 12);
  record.write(json, RECORD_HEADER_BYTES, "utf8");
  record.writeUInt32BE(crc32(record.subarray(4)), 0);
  return record;
}

/**
 * Reads the records of one segment whose first entry is `firstPosition`. Damage
 * throws a JournalError, except in the tail segment when the damaged record is the
 * last thing in the file (no valid record follows it): that is a write cut short by
 * a crash, which was never acknowledged, and is reported in `torn` for the caller to
 * truncate.
 */
export function scanSegment(data: Buffer, firstPosition: number, options: ScanOptions): SegmentScan {
  const headerProblem = checkSegmentHeader(data);
  if (headerProblem !== undefined) {
    const partialHeader =
      data.length < SEGMENT_HEADER_BYTES && (isPrefixOf(data, encodeSegmentHeader()) || isAllZero(data, 0));
    if (options.tail && partialHeader) return { records: [], validBytes: 0, torn: headerProblem };
    throw new JournalError(`segment ${segmentFileName(firstPosition)}: ${headerProblem}`);
  }
  const records: ScannedRecord[] = [];
  let offset = SEGMENT_HEADER_BYTES;
  let expected = firstPosition;
  while (offset < data.length && (options.limit === undefined || expected <= options.limit)) {
    const problem = checkRecord(data, offset, expected);
    if (typeof problem === "number") {
      records.push({ position: expected, payloadStart: offset + RECORD_HEADER_BYTES, payloadEnd: problem });
      offset = problem;
      expected++;
      continue;
    }
    const where = `segment ${segmentFileName(firstPosition)}, record ${expected} at byte ${offset}`;
    if (!options.tail || problem.fatal) throw new JournalError(`${where}: ${problem.reason}`);
    if (hasValidRecordAfter(data, offset + 1, expected)) {
      throw new JournalError(`${where}: ${problem.reason}, and valid records follow it (damage inside the journal)`);
    }
    return { records, validBytes: offset, torn: `${where}: ${problem.reason}` };
  }
  return { records, validBytes: offset, torn: undefined };
}

function checkSegmentHeader(data: Buffer): string | undefined {
  if (data.length < SEGMENT_HEADER_BYTES) return `incomplete segment header (${data.length} bytes)`;
  if (!data.subarray(0, 8).equals(MAGIC)) return "not an SSP journal segment (bad magic bytes)";
  const version = data.readUInt32BE(8);
  if (version !== JOURNAL_FORMAT_VERSION) {
    return `unknown journal format version ${version} (this build reads version ${JOURNAL_FORMAT_VERSION})`;
  }
  return undefined;
}

/**
 * The end offset of the good record at `offset`, or what is wrong with it. A valid
 * record at the wrong position is `fatal`: no torn write produces one.
 */
function checkRecord(data: Buffer, offset: number, expected: number): number | { reason: string; fatal: boolean } {
  if (data.length - offset < RECORD_HEADER_BYTES) {
    return { reason: `incomplete record header (${data.length - offset} bytes)`, fatal: false };
  }
  const end = offset + RECORD_HEADER_BYTES + data.readUInt32BE(offset + 4);
  if (end > data.length) return { reason: "record extends past the end of the file", fatal: false };
  if (crc32(data.subarray(offset + 4, end)) !== data.readUInt32BE(offset)) {
    return { reason: "checksum mismatch", fatal: false };
  }
  const position = readPosition(data, offset);
  if (position !== expected) return { reason: `holds position ${position}`, fatal: true };
  return end;
}

/** Whether a checksum-valid record for a position ≥ `expected` starts at or after `from`. */
function hasValidRecordAfter(data: Buffer, from: number, expected: number): boolean {
  for (let offset = from; offset + RECORD_HEADER_BYTES <= data.length; offset++) {
    const position = readPosition(data, offset);
    if (position < expected || position > expected + LOOKAHEAD_POSITIONS) continue;
    const end = offset + RECORD_HEADER_BYTES + data.readUInt32BE(offset + 4);
    if (end <= data.length && crc32(data.subarray(offset + 4, end)) === data.readUInt32BE(offset)) return true;
  }
  return false;
}

function readPosition(data: Buffer, offset: number): number {
  return data.readUInt32BE(offset + 8) * TWO_32 + data.readUInt32BE(offset + 12);
}

function isPrefixOf(data: Buffer, whole: Buffer): boolean {
  return data.length <= whole.length && whole.subarray(0, data.length).equals(data);
}

function isAllZero(data: Buffer, from: number): boolean {
  for (let i = from; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}

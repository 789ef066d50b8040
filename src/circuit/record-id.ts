/**
 * Record ids, as SurrealDB writes them: `table:key`, where the key is an
 * integer (`user:1`), a plain identifier (`user:alice`) or any string escaped in
 * angle brackets or backticks (`user:⟨a b⟩`, `` user:`a b` ``).
 *
 * Invariant: `user:1` (integer key) and `user:⟨1⟩` (string key) are different
 * records, and `toString()` is canonical, so it can key maps.
 */
export type RecordKey = string | number;

const PLAIN_IDENT = /^[A-Za-z0-9_]+$/;
const ALL_DIGITS = /^[0-9]+$/;
const INTEGER = /^-?[0-9]+$/;

export class RecordId {
  readonly table: string;
  readonly key: RecordKey;
  #text: string | undefined;

  constructor(table: string, key: RecordKey) {
    this.table = table;
    this.key = key;
  }

  /** Canonical text, computed on first use and kept (most stored records never need it). */
  get text(): string {
    return (this.#text ??= `${escapeIdent(this.table)}:${escapeKey(this.key)}`);
  }

  toString(): string {
    return this.text;
  }

  equals(other: RecordId): boolean {
    return this.text === other.text;
  }
}

export class RecordIdSyntaxError extends Error {
  override name = "RecordIdSyntaxError";
}

/**
 * Parses record-id text. Integer keys become numbers when they fit a signed
 * 64-bit integer exactly as a JS number (|k| ≤ 2^53 − 1); SurrealDB reads larger
 * digit strings as string keys, and so do we.
 */
export function parseRecordId(text: string): RecordId {
  return parsePlainNumeric(text) ?? parseGeneral(text);
}

/**
 * The common shape, `ident:123`, in one pass without regular expressions or
 * slices of the key; undefined for anything else (the general parser then
 * decides, with the same result for this shape).
 */
function parsePlainNumeric(text: string): RecordId | undefined {
  const colon = text.indexOf(":");
  if (colon <= 0 || colon === text.length - 1) return undefined;
  for (let i = 0; i < colon; i++) if (!isIdentChar(text.charCodeAt(i))) return undefined;
  let i = colon + 1;
  const negative = text.charCodeAt(i) === 0x2d;
  if (negative) i++;
  // Up to 15 digits is always a safe integer.
  if (i === text.length || text.length - i > 15) return undefined;
  let n = 0;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return new RecordId(internTable(text.slice(0, colon)), negative ? -n : n);
}

/**
 * The table of record-id text without building the id: the plain prefix when
 * there is one (the usual case), else the parsed table; undefined when the text
 * is not a record id.
 */
export function tableOfRecordId(text: string): string | undefined {
  const colon = text.indexOf(":");
  if (colon > 0) {
    let plain = true;
    for (let i = 0; i < colon && plain; i++) plain = isIdentChar(text.charCodeAt(i));
    if (plain) return internTable(text.slice(0, colon));
  }
  try {
    return parseGeneral(text).table;
  } catch {
    return undefined;
  }
}

function isIdentChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f;
}

function parseGeneral(text: string): RecordId {
  const colon = findTableEnd(text);
  if (colon <= 0) throw new RecordIdSyntaxError(`record id ${JSON.stringify(text)} is not of the form table:key`);
  const table = internTable(unescape(text.slice(0, colon), "table", text));
  const rawKey = text.slice(colon + 1);
  if (rawKey.length === 0) throw new RecordIdSyntaxError(`record id ${JSON.stringify(text)} has an empty key`);
  return new RecordId(table, parseKey(rawKey, text));
}

/**
 * Table names repeat in every id: sharing one string per name saves a string
 * per record. Bounded, so odd inputs cannot grow it without limit.
 */
const TABLE_NAMES = new Map<string, string>();
const MAX_INTERNED_TABLES = 4096;

function internTable(name: string): string {
  const known = TABLE_NAMES.get(name);
  if (known !== undefined) return known;
  if (TABLE_NAMES.size < MAX_INTERNED_TABLES) TABLE_NAMES.set(name, name);
  return name;
}

function findTableEnd(text: string): number {
  if (text.startsWith("⟨") || text.startsWith("`")) {
    const close = text.startsWith("⟨") ? "⟩" : "`";
    for (let i = 1; i < text.length; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === close) return text[i + 1] === ":" ? i + 1 : -1;
    }
    return -1;
  }
  return text.indexOf(":");
}

function parseKey(raw: string, whole: string): RecordKey {
  if (INTEGER.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n)) return n;
    return raw;
  }
  return unescape(raw, "key", whole);
}

function unescape(part: string, what: string, whole: string): string {
  const open = part[0];
  if (open === "⟨" || open === "`") {
    const close = open === "⟨" ? "⟩" : "`";
    if (!part.endsWith(close) || part.length < 2) {
      throw new RecordIdSyntaxError(`record id ${JSON.stringify(whole)}: unterminated ${open}…${close} in the ${what}`);
    }
    return part.slice(1, -1).replace(/\\([\s\S])/gu, "$1");
  }
  if (!PLAIN_IDENT.test(part)) {
    throw new RecordIdSyntaxError(
      `record id ${JSON.stringify(whole)}: the ${what} ${JSON.stringify(part)} must be a plain identifier or escaped as ⟨…⟩`,
    );
  }
  return part;
}

function escapeIdent(table: string): string {
  return PLAIN_IDENT.test(table) && !ALL_DIGITS.test(table) ? table : `⟨${table.replace(/[\\⟩]/g, "\\$&")}⟩`;
}

function escapeKey(key: RecordKey): string {
  if (typeof key === "number") return String(key);
  return PLAIN_IDENT.test(key) && !ALL_DIGITS.test(key) ? key : `⟨${key.replace(/[\\⟩]/g, "\\$&")}⟩`;
}

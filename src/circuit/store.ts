/**
 * Every record, held once and shared by all views, with lazily built hash
 * indices on fields that plans look rows up by (`thread = $parent.id`).
 *
 * Invariant: a row's `body.id` is its RecordId (SurrealDB ignores a body's own
 * `id`), and rows are immutable: a change replaces the row object.
 */
import { RecordId, type RecordKey } from "./record-id.js";
import { dispatchKey } from "./values/compare.js";
import { pathGetter, pathText, type Path } from "./values/path.js";
import type { Value, ValueObject } from "./values/value.js";

/** The key under which a row carries its version: a symbol, so field paths, wire conversion and content comparison never see it. */
export const VERSION: unique symbol = Symbol("version");

/**
 * A stored record is its body itself (no wrapper object: one object per
 * record), with `id` set to its RecordId and its version on the VERSION key.
 */
export interface Row extends ValueObject {
  readonly id: RecordId;
  readonly [VERSION]: number;
}

/** Makes a fresh body (whose `id` is already its RecordId) a row of the given version. */
export function toRow(body: ValueObject & { id: RecordId }, version: number): Row {
  (body as { [VERSION]?: number })[VERSION] = version;
  return body as Row;
}

/**
 * Keys of one table's rows by the dispatch key of their value at `path`. It
 * holds keys, not rows (rows are read from the table), so an update that leaves
 * the indexed value alone (most do) costs two key computations and nothing else.
 */
class FieldIndex {
  readonly path: Path;
  private readonly get: (v: Value) => Value;
  readonly buckets = new Map<unknown, Set<RecordKey>>();
  /** Changes of the table since the last lookup. */
  idle = 0;

  constructor(path: Path) {
    this.path = path;
    this.get = pathGetter(path);
  }

  update(before: Row | undefined, after: Row | undefined): void {
    const hb = before && dispatchKey(this.get(before));
    const ha = after && dispatchKey(this.get(after));
    if (before && after && hb === ha) return;
    if (before) {
      const b = this.buckets.get(hb);
      if (b) {
        b.delete(before.id.key);
        if (b.size === 0) this.buckets.delete(hb);
      }
    }
    if (after) {
      let b = this.buckets.get(ha);
      if (!b) this.buckets.set(ha, (b = new Set()));
      b.add(after.id.key);
    }
  }
}

const EMPTY: ReadonlyMap<RecordKey, Row> = new Map();

/** A field index survives at least this many changes without a lookup (tiny tables would otherwise rebuild constantly). */
const MIN_IDLE_CHANGES = 1024;

export class RecordStore {
  /**
   * Rows by table, then by key (`1` and `"1"` are distinct Map keys, as
   * `t:1` and `t:⟨1⟩` are distinct records): one map entry per record, and no
   * id text computed for records no view holds.
   */
  private readonly tables = new Map<string, Map<RecordKey, Row>>();
  private count = 0;
  private readonly indices = new Map<string, Map<string, FieldIndex>>();
  /** Last version of deleted records, by table then key: a re-creation continues from it, and redelivered old changes stay stale. */
  private readonly tombstones = new Map<string, Map<RecordKey, number>>();

  get size(): number {
    return this.count;
  }

  get(id: RecordId): Row | undefined {
    return this.tables.get(id.table)?.get(id.key);
  }

  *all(): IterableIterator<Row> {
    for (const t of this.tables.values()) yield* t.values();
  }

  /** The version a deleted record had, if it was deleted. */
  tombstone(id: RecordId): number | undefined {
    return this.tombstones.get(id.table)?.get(id.key);
  }

  setTombstone(id: RecordId, version: number): void {
    let t = this.tombstones.get(id.table);
    if (!t) this.tombstones.set(id.table, (t = new Map()));
    t.set(id.key, version);
  }

  *allTombstones(): IterableIterator<[RecordId, number]> {
    for (const [table, t] of this.tombstones) for (const [key, v] of t) yield [new RecordId(table, key), v];
  }

  table(table: string): ReadonlyMap<RecordKey, Row> {
    return this.tables.get(table) ?? EMPTY;
  }

  /** Rows of `table` whose value at `path` has dispatch key `key` (a superset of the `=` matches); builds the index on first use. */
  *lookup(table: string, path: Path, hash: unknown): IterableIterator<Row> {
    const index = this.index(table, path);
    index.idle = 0;
    const keys = index.buckets.get(hash);
    if (!keys) return;
    const rows = this.table(table);
    for (const key of keys) yield rows.get(key)!;
  }

  put(row: Row): void {
    const key = row.id.key;
    let t = this.tables.get(row.id.table);
    if (!t) this.tables.set(row.id.table, (t = new Map()));
    const old = t.get(key);
    t.set(key, row);
    if (!old) {
      this.count++;
      // Only a record not alive can have a tombstone.
      if (this.tombstones.size > 0) this.tombstones.get(row.id.table)?.delete(key);
    }
    const idx = this.indices.get(row.id.table);
    if (idx) this.reindex(row.id.table, idx, old, row, t.size);
  }

  /** Removes `row`, leaving a tombstone at `version` (its own version unless a DELETE carried a higher one). */
  delete(row: Row, version: number = row[VERSION]): void {
    const key = row.id.key;
    const t = this.tables.get(row.id.table);
    if (!t?.delete(key)) return;
    const idx = this.indices.get(row.id.table);
    if (idx) this.reindex(row.id.table, idx, row, undefined, t.size);
    this.count--;
    this.setTombstone(row.id, version);
    if (t.size === 0) this.tables.delete(row.id.table);
  }

  clear(): void {
    this.count = 0;
    this.tables.clear();
    this.indices.clear();
    this.tombstones.clear();
  }

  /**
   * Keeps a table's field indices current through a change, dropping any that
   * has seen more changes since its last lookup than the table has rows:
   * rebuilding it at its next lookup costs no more than the upkeep it saves,
   * so between lookups the work stays within twice the cheaper of the two.
   * (Views register rarely; a plan whose subqueries start on every ingest
   * looks up all the time and keeps its index.)
   */
  private reindex(table: string, byPath: Map<string, FieldIndex>, before: Row | undefined, after: Row | undefined, rows: number): void {
    for (const index of byPath.values()) {
      if (++index.idle > Math.max(rows, MIN_IDLE_CHANGES)) byPath.delete(pathText(index.path));
      else index.update(before, after);
    }
    if (byPath.size === 0) this.indices.delete(table);
  }

  private index(table: string, path: Path): FieldIndex {
    let byPath = this.indices.get(table);
    if (!byPath) this.indices.set(table, (byPath = new Map()));
    const key = pathText(path);
    let idx = byPath.get(key);
    if (!idx) {
      idx = new FieldIndex(path);
      for (const row of this.table(table).values()) idx.update(undefined, row);
      byPath.set(key, idx);
    }
    return idx;
  }
}

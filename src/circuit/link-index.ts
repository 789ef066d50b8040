/**
 * Which rows read which records through record links.
 *
 * A WHERE path below a field (`author.name`), or a subquery's `$parent` path
 * below one (`$parent.author.name`), reads the linked record when the field
 * holds a link, as SurrealDB does; a select-list `author.*` fetches it (the
 * record is then a member of the view: query-instance.ts). So a change to `user:1` can change whether
 * `thread:7` matches although `thread:7` itself did not change. For each row
 * of a table that plans read such paths from, the index keeps the ids of the
 * records those paths dereference, at every hop and whether the record exists
 * or not (creating `user:9` changes what a link to it reads); and for each such
 * id, the rows that dereference it. Before a change to a record is pushed, the
 * circuit asks for its readers and pushes them too, as they read before the
 * change → as they read after it.
 *
 * Invariants: for every stored row of a table with paths, `targetsOf` holds
 * the links its paths cross in the current store, and `readers` is its exact
 * inverse. A table's paths only grow until `clear()`: a plan node that comes
 * and goes (the first thread entering a view starts its comments' subquery)
 * would otherwise rescan its table each time; a path no plan reads any more
 * costs only a few extra pushes.
 */
import type { RecordId } from "./record-id.js";
import type { Row } from "./store.js";
import { fetchedLinks, getPath, pathText, recordingResolver, type Path, type Resolve } from "./values/path.js";

const NONE: readonly RecordId[] = [];

export class LinkIndex {
  /** Per table, the paths read from its rows that may cross a link, by their text. */
  private readonly paths = new Map<string, Map<string, Path>>();
  /** A row's id text → the id texts of the records its paths dereference. */
  private readonly targetsOf = new Map<string, readonly string[]>();
  /** A record's id text → the rows that dereference it, by their id text. */
  private readonly readers = new Map<string, Map<string, RecordId>>();

  hasPaths(table: string): boolean {
    return this.paths.has(table);
  }

  /** Adds paths read from the rows of `table`; true when one is new (the table's rows must then be indexed again). */
  addPaths(table: string, paths: readonly Path[]): boolean {
    if (paths.length === 0) return false;
    let known = this.paths.get(table);
    if (!known) this.paths.set(table, (known = new Map()));
    let grew = false;
    for (const path of paths) {
      const key = pathText(path);
      if (known.has(key)) continue;
      known.set(key, path);
      grew = true;
    }
    return grew;
  }

  /** The rows whose paths dereference `id` (a copy: indexing them again does not disturb it). */
  readersOf(id: RecordId): readonly RecordId[] {
    if (this.readers.size === 0) return NONE;
    const rows = this.readers.get(id.text);
    return rows ? [...rows.values()] : NONE;
  }

  /** Recomputes what `row` dereferences, reading linked records through `resolve`. */
  index(row: Row, resolve: Resolve): void {
    const paths = this.paths.get(row.id.table);
    if (!paths) return;
    const found = new Set<string>();
    const recording = recordingResolver(resolve, found);
    for (const path of paths.values()) {
      getPath(row, path, 0, recording);
      // `link.*` in a select list fetches every link at the end, in arrays too.
      if (path.length > 1 && path[path.length - 1]!.kind === "all") {
        const links: RecordId[] = [];
        fetchedLinks(row, path.slice(0, -1), recording, links);
        for (const l of links) found.add(l.text);
      }
    }
    const key = row.id.text;
    const old = this.targetsOf.get(key);
    if (old) for (const t of old) if (!found.has(t)) this.dropReader(t, key);
    if (found.size === 0) {
      this.targetsOf.delete(key);
      return;
    }
    for (const t of found) {
      let rows = this.readers.get(t);
      if (!rows) this.readers.set(t, (rows = new Map()));
      rows.set(key, row.id);
    }
    this.targetsOf.set(key, [...found]);
  }

  /** Forgets what the row `id` dereferenced (it was deleted). */
  unindex(id: RecordId): void {
    if (!this.paths.has(id.table)) return;
    const key = id.text;
    const old = this.targetsOf.get(key);
    if (!old) return;
    for (const t of old) this.dropReader(t, key);
    this.targetsOf.delete(key);
  }

  clear(): void {
    this.paths.clear();
    this.targetsOf.clear();
    this.readers.clear();
  }

  private dropReader(target: string, reader: string): void {
    const rows = this.readers.get(target);
    if (!rows) return;
    rows.delete(reader);
    if (rows.size === 0) this.readers.delete(target);
  }
}

/**
 * Record bodies and record changes.
 *
 * Every table shares one field vocabulary, so any view can filter any table on
 * any field. Record links live in the link fields (`author`, `thread`, `ref`),
 * in the array `links`, in `v`, and in the nested object `o` as `o.l`; `o.id`
 * holds a record id too, an embedded one, which makes `o` an object with an `id`
 * that is not a row. FIELD_PATHS read stored data only and LINK_PATHS walk
 * through links (SurrealDB reads the linked record in WHERE and `$parent` paths,
 * not in ORDER BY).
 */
import fc from "fast-check";
import type { RecordChange } from "../../../src/circuit/types.js";
import {
  Ref,
  type Key,
  type Table,
  type Val,
  anyValueArb,
  formatRecordId,
  keyArb,
  numberArb,
  refArb,
  scalarArb,
  stringArb,
  tableArb,
  toWire,
} from "./values.js";

export type Body = { [field: string]: Val };

export interface RecordRef {
  readonly table: Table;
  readonly key: Key;
}

export type ChangeOp = "CREATE" | "UPDATE" | "DELETE";

/** One generated change. `body` is absent for DELETE. */
export interface Change {
  readonly op: ChangeOp;
  readonly record: RecordRef;
  readonly body?: Body;
  /** How the op is spelled on the wire (the wire is case-insensitive). */
  readonly spelling: string;
  /** An explicit version: a change at or below the version held is stale. */
  readonly version?: number;
}

/** Paths a view may walk: each ends in plain data, never below a record link. */
export const FIELD_PATHS: readonly (readonly string[])[] = [
  ["n"],
  ["s"],
  ["b"],
  ["v"],
  ["tags"],
  ["o"],
  ["o", "x"],
  ["o", "y"],
  ["o", "y", "z"],
  ["o", "x y"],
  ["o", "l"],
  ["o", "id"],
  ["tags", "[0]"],
  ["author"],
  ["thread"],
  ["ref"],
  ["links"],
  ["id"],
  ["zz"],
];

/**
 * Paths below a link field: SurrealDB follows the link (one or two hops, into
 * arrays of links, to records that may not exist). `id.n` reads the row itself.
 */
export const LINK_PATHS: readonly (readonly string[])[] = [
  ["author", "n"],
  ["author", "s"],
  ["author", "o", "x"],
  ["thread", "n"],
  ["thread", "author", "n"],
  ["ref", "tags"],
  ["links", "n"],
  ["links", "[0]", "n"],
  ["o", "l", "n"],
  ["o", "l", "author", "n"],
  ["id", "n"],
];

/** Paths that end at a record link (or an array of them): what `path.*` fetches, and what `$parent` paths end on. */
export const LINK_ENDS: readonly (readonly string[])[] = [
  ["author"],
  ["thread"],
  ["ref"],
  ["links"],
  ["links", "[0]"],
  ["o", "l"],
  ["thread", "author"],
  ["author", "thread"],
  ["o", "l", "thread"],
];

/** Field names whose value may be a record link (or an array of them): a path part after one reads the linked record. */
export const LINK_NAMES: ReadonlySet<string> = new Set(["author", "thread", "ref", "links", "l", "v"]);

/**
 * How many record links `path` crosses: link fields followed by a further part
 * (an index into `links` stays on the array). `id.n` reads the row itself.
 */
export function linkHops(path: readonly string[]): number {
  let hops = 0;
  for (const [i, part] of path.entries()) {
    const next = path[i + 1];
    if (next === undefined || !LINK_NAMES.has(part)) continue;
    if (/^\[\d+\]$/.test(next)) {
      if (path[i + 2] !== undefined) hops++;
    } else hops++;
  }
  return hops;
}

/** Paths through `*`: an object stays whole, an array maps, anything else becomes `[x]`. */
export const STAR_PATHS: readonly (readonly string[])[] = [
  ["o", "*"],
  ["o", "*", "x"],
  ["o", "*", "y", "z"],
  ["tags", "*"],
  ["s", "*"],
  ["zz", "*"],
  ["links", "*", "n"],
  ["author", "*", "n"],
];

/** Fields that hold record links, with the table they usually point at. */
export const LINK_FIELDS: readonly { readonly field: string; readonly table: Table | undefined }[] = [
  { field: "author", table: "user" },
  { field: "thread", table: "thread" },
  { field: "ref", table: undefined },
];

const inner: fc.Arbitrary<Val> = fc.record(
  { x: scalarArb, y: fc.record({ z: scalarArb }, { requiredKeys: [] }), "x y": scalarArb, l: refArb("user"), id: refArb() },
  { requiredKeys: [] },
);

const nestedArb: fc.Arbitrary<Val> = fc.oneof(
  { arbitrary: inner, weight: 4 },
  { arbitrary: fc.array(inner, { maxLength: 2 }), weight: 2 },
  { arbitrary: scalarArb, weight: 1 },
);

function linkish(preferred: Table | undefined): fc.Arbitrary<Val> {
  return fc.oneof(
    { arbitrary: refArb(preferred), weight: 8 },
    // Looks like an id but is a string: SurrealDB never equates the two.
    { arbitrary: fc.constantFrom<Val>("user:1", "thread:1"), weight: 1 },
    { arbitrary: fc.constant(null), weight: 1 },
  );
}

export const bodyArb: fc.Arbitrary<Body> = fc.record(
  {
    n: fc.oneof({ arbitrary: numberArb, weight: 5 }, { arbitrary: scalarArb, weight: 1 }),
    s: fc.oneof({ arbitrary: stringArb, weight: 5 }, { arbitrary: scalarArb, weight: 1 }),
    b: fc.oneof(fc.boolean(), fc.constant(null)),
    v: anyValueArb,
    tags: fc.oneof({ arbitrary: fc.array(scalarArb, { maxLength: 3 }), weight: 5 }, { arbitrary: stringArb, weight: 1 }),
    o: nestedArb,
    author: linkish("user"),
    thread: linkish("thread"),
    ref: linkish(undefined),
    links: fc.array(refArb(), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

/**
 * Bodies with few distinct values (many ties) and links that usually resolve:
 * for bulk loads that make ORDER BY/LIMIT windows and correlated subqueries busy.
 */
export const narrowBodyArb: fc.Arbitrary<Body> = fc.record(
  {
    n: fc.integer({ min: 0, max: 3 }),
    s: fc.constantFrom("a", "b", "B", "💩"),
    author: fc.constantFrom(1, 2, 3).map((k) => new Ref("user", k)),
    thread: fc.constantFrom(1, 2, 3).map((k) => new Ref("thread", k)),
    ref: refArb(),
  },
  { requiredKeys: ["n"] },
);

/** Bodies that are nearly all alike (ties on every field), with links that resolve. */
export const tiedBodyArb: fc.Arbitrary<Body> = fc.oneof(
  { arbitrary: fc.constant<Body>({ n: 1, s: "a" }), weight: 6 },
  { arbitrary: fc.constant<Body>({}), weight: 2 },
  {
    arbitrary: fc.record({ n: fc.constantFrom(0, 1), s: fc.constantFrom("a", "b"), author: fc.constantFrom(1, 2, 3).map((k) => new Ref("user", k)) }),
    weight: 2,
  },
);

export const recordRefArb: fc.Arbitrary<RecordRef> = fc.record({ table: tableArb, key: keyArb });

function spell(op: ChangeOp): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: fc.constant(op), weight: 6 }, { arbitrary: fc.constantFrom(op.toLowerCase(), op[0] + op.slice(1).toLowerCase()), weight: 1 });
}

export const changeArb: fc.Arbitrary<Change> = fc.oneof(
  { arbitrary: fc.tuple(recordRefArb, bodyArb, spell("CREATE")).map(([record, body, spelling]): Change => ({ op: "CREATE", record, body, spelling })), weight: 5 },
  { arbitrary: fc.tuple(recordRefArb, bodyArb, spell("UPDATE")).map(([record, body, spelling]): Change => ({ op: "UPDATE", record, body, spelling })), weight: 3 },
  { arbitrary: fc.tuple(recordRefArb, spell("DELETE")).map(([record, spelling]): Change => ({ op: "DELETE", record, spelling })), weight: 2 },
);

export function recordIdText(r: RecordRef): string {
  return formatRecordId(r.table, r.key);
}

/** The change as the circuit receives it. */
export function toRecordChange(c: Change): RecordChange {
  const id = recordIdText(c.record);
  const version = c.version === undefined ? {} : { version: c.version };
  if (c.body === undefined) return { op: c.spelling, id, ...version };
  return { op: c.spelling, id, body: toWire(c.body), ...version };
}

/** Changes that carry small explicit versions half the time, so some are stale. */
export const versionedChangeArb: fc.Arbitrary<Change> = fc
  .tuple(changeArb, fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }))
  .map(([c, version]) => (version === undefined ? c : { ...c, version }));

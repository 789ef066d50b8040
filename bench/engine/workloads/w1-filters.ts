/**
 * W1 filters: many filter views (equality, range, boolean, CONTAINS/IN, a share
 * with ORDER BY + LIMIT) over records spread across five tables, fed a mixed
 * stream of CREATE/UPDATE/DELETE. Also builds the original engine's published
 * workload (50 views over ~5,000 records, creates only).
 */
import type { RecordChange } from "../../../src/circuit/index.js";
import { createRng, type Rng } from "../prng.js";
import { LiveIds, link, viewSpec, type Body, type Workload } from "./workload.js";

export interface FilterSizes {
  readonly records: number;
  readonly views: number;
  /** Share of the stream that creates; the rest is split between UPDATE (2/3) and DELETE (1/3). */
  readonly createShare: number;
}

const TABLES = ["account", "article", "product", "purchase", "event"] as const;
const STATUSES = ["draft", "open", "closed", "archived", "flagged"];
const CATEGORIES = Array.from({ length: 50 }, (_, i) => `c${i}`);
const TAGS = Array.from({ length: 20 }, (_, i) => `t${i}`);
const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

/** The view shapes, in rotation; three of the eight are windowed (ORDER BY + LIMIT). */
const TEMPLATES: readonly { surql: (t: string) => string; params: (rng: Rng) => Body }[] = [
  { surql: (t) => `SELECT * FROM ${t} WHERE category = $category`, params: (r) => ({ category: r.pick(CATEGORIES) }) },
  {
    surql: (t) => `SELECT * FROM ${t} WHERE status = $status AND score >= $min`,
    params: (r) => ({ status: r.pick(STATUSES), min: r.int(1000) }),
  },
  {
    surql: (t) => `SELECT * FROM ${t} WHERE score >= $lo AND score < $hi`,
    params: (r) => {
      const lo = r.int(990);
      return { lo, hi: lo + 1 + r.int(10) };
    },
  },
  { surql: (t) => `SELECT * FROM ${t} WHERE active = true AND price < $max`, params: (r) => ({ max: Math.round(r.next() * 500) / 100 }) },
  { surql: (t) => `SELECT * FROM ${t} WHERE tags CONTAINS $tag AND score > $min`, params: (r) => ({ tag: r.pick(TAGS), min: 900 + r.int(100) }) },
  {
    surql: (t) => `SELECT * FROM ${t} WHERE status IN ["open", "flagged"] AND category = $category`,
    params: (r) => ({ category: r.pick(CATEGORIES) }),
  },
  {
    surql: (t) => `SELECT * FROM ${t} WHERE category = $category ORDER BY score DESC LIMIT 10`,
    params: (r) => ({ category: r.pick(CATEGORIES) }),
  },
  {
    surql: (t) => `SELECT * FROM ${t} WHERE tags CONTAINSANY $tags ORDER BY price ASC LIMIT 5`,
    params: (r) => ({ tags: [r.pick(TAGS), r.pick(TAGS)] }),
  },
];

export function filterWorkload(name: string, title: string, sizes: FilterSizes, seed: number): Workload {
  const rng = createRng(seed);
  const live = new Map<string, LiveIds>(TABLES.map((t) => [t, new LiveIds()]));
  const nextKey = new Map<string, number>(TABLES.map((t) => [t, 1]));
  const bodies = new Map<string, Body>();
  let clock = 0;

  const body = (): Body => ({
    status: rng.pick(STATUSES),
    category: rng.pick(CATEGORIES),
    score: rng.int(1000),
    price: Math.round(rng.next() * 10_000) / 100,
    active: rng.chance(0.5),
    tags: Array.from({ length: rng.int(4) }, () => rng.pick(TAGS)),
    owner: link(`account:${1 + rng.int(Math.max(1, sizes.records / TABLES.length))}`),
    title: `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.int(100_000)}`,
    created_at: ++clock,
  });

  const create = (): RecordChange => {
    const table = rng.pick(TABLES);
    const key = nextKey.get(table)!;
    nextKey.set(table, key + 1);
    const id = `${table}:${key}`;
    live.get(table)!.add(id);
    const b = body();
    bodies.set(id, b);
    return { op: "CREATE", id, body: b };
  };

  const records: RecordChange[] = [];
  for (let i = 0; i < sizes.records; i++) records.push(create());

  const views = Array.from({ length: sizes.views }, (_, i) => {
    const template = TEMPLATES[i % TEMPLATES.length]!;
    const table = TABLES[Math.floor(i / TEMPLATES.length) % TABLES.length]!;
    return viewSpec(`w1-${i}`, template.surql(table), template.params(rng));
  });

  const next = (): RecordChange => {
    const roll = rng.next();
    const table = rng.pick(TABLES);
    const ids = live.get(table)!;
    const id = ids.pick(rng.next());
    if (roll < sizes.createShare || id === undefined) return create();
    if (roll < sizes.createShare + ((1 - sizes.createShare) * 2) / 3) {
      // Ingest carries the full body; an update changes one or two of its fields.
      const b: Body = { ...bodies.get(id)!, score: rng.int(1000) };
      if (rng.chance(0.3)) b.status = rng.pick(STATUSES);
      if (rng.chance(0.2)) b.active = !b.active;
      if (rng.chance(0.2)) b.tags = Array.from({ length: rng.int(4) }, () => rng.pick(TAGS));
      bodies.set(id, b);
      return { op: "UPDATE", id, body: b };
    }
    ids.remove(id);
    bodies.delete(id);
    return { op: "DELETE", id };
  };

  return {
    name,
    title,
    parameters: { records: sizes.records, views: sizes.views, tables: TABLES.length, createShare: sizes.createShare },
    tables: TABLES,
    records,
    views,
    next,
    surrealIndexes: TABLES.flatMap((table) => [
      { table, field: "category" },
      { table, field: "status" },
    ]),
    probeTable: "article",
    probeView: (i) => viewSpec(`probe-${i}`, "SELECT * FROM article WHERE score >= $lo AND price < $max", { lo: 500 + i, max: 50 }),
  };
}

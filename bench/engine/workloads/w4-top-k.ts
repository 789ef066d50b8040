/**
 * W4 top-k churn: `ORDER BY score DESC LIMIT 20` views per league, plus two
 * global leaderboards (DESC and ASC), while scores change all the time: a new
 * score enters a league's top 20 about one time in five, and a member whose
 * score drops leaves it, so windows are displaced and refilled constantly.
 */
import type { RecordChange } from "../../../src/circuit/index.js";
import { createRng } from "../prng.js";
import { LiveIds, link, viewSpec, type Body, type Workload } from "./workload.js";

export interface TopKSizes {
  readonly players: number;
  /** League views (one per league); two global views are added. */
  readonly views: number;
}

export const LEAGUE_QUERY = "SELECT * FROM player WHERE league = $league ORDER BY score DESC LIMIT 20";

export function topKWorkload(sizes: TopKSizes, seed: number): Workload {
  const rng = createRng(seed);
  const players = new LiveIds();
  const bodies = new Map<string, Body>();
  let nextKey = 1;

  const create = (): RecordChange => {
    const id = `player:${nextKey++}`;
    const body: Body = { name: `player ${nextKey}`, league: link(`league:${rng.int(sizes.views)}`), score: rng.int(1_000_000) };
    players.add(id);
    bodies.set(id, body);
    return { op: "CREATE", id, body };
  };

  const records: RecordChange[] = [];
  for (let i = 0; i < sizes.players; i++) records.push(create());
  const views = [
    ...Array.from({ length: sizes.views }, (_, i) => viewSpec(`league-${i}`, LEAGUE_QUERY, { league: link(`league:${i}`) })),
    viewSpec("global-top", "SELECT * FROM player ORDER BY score DESC LIMIT 20", {}),
    viewSpec("global-bottom", "SELECT * FROM player ORDER BY score ASC LIMIT 20", {}),
  ];

  const next = (): RecordChange => {
    const roll = rng.next();
    const id = players.pick(rng.next());
    if (roll < 0.025 || id === undefined) return create();
    if (roll < 0.05) {
      players.remove(id);
      bodies.delete(id);
      return { op: "DELETE", id };
    }
    const body: Body = { ...bodies.get(id)!, score: rng.int(1_000_000) };
    bodies.set(id, body);
    return { op: "UPDATE", id, body };
  };

  return {
    name: "W4-top-k",
    title: "W4 top-k churn: ORDER BY score LIMIT 20 under constant score changes",
    parameters: { players: sizes.players, views: sizes.views + 2 },
    tables: ["player"],
    records,
    views,
    next,
    surrealIndexes: [{ table: "player", field: "league" }],
    probeTable: "player",
    probeView: (i) => viewSpec(`probe-${i}`, "SELECT * FROM player WHERE score >= $lo AND score < $hi", { lo: i * 1000, hi: i * 1000 + 5000 }),
  };
}

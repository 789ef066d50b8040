/**
 * kill -9 of the whole service at a random moment: the real entry point runs as a
 * child process on a temp data dir with an embedded surrealkv SurrealDB, a seeded
 * stream of acknowledged mutations is driven through gRPC, the process is
 * SIGKILLed, restarted, and then (WRITERS concurrent writers on disjoint records,
 * so their acknowledged mutations share journal fsyncs and edge transactions):
 * - every view holds exactly the membership and versions a from-scratch
 *   evaluation gives over the acknowledged mutations (each mutation in flight
 *   at the kill may or may not be there; nothing acknowledged may be missing);
 * - SurrealDB's edges, read right after the kill, already hold every acknowledged
 *   mutation's edge writes (an ingest answers once they are committed);
 * - ResyncEdges finds the edges consistent, and SurrealDB's edges (read after a
 *   clean SIGTERM, which must exit 0) equal the membership.
 * SSP_CRASH_ROUNDS sets the number of rounds (20 by default; `make crash` runs more).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { describe, expect, it } from "vitest";
import { sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";
import { edgesOf, type EdgeMap } from "./edges-of.js";
import { Model, VIEWS, WRITERS, mutations, random, type ExpectedView, type Mutation } from "./workload.js";

const ROUNDS = Number(process.env.SSP_CRASH_ROUNDS ?? 20);
const LANES = 4;
const SEED = Number(process.env.SSP_CRASH_SEED ?? Date.now() % 1_000_000);

type Ssp = ReturnType<typeof sspClient>;

async function start(dir: string): Promise<{ ssp: SspProcess; client: Ssp }> {
  const ssp = spawnSsp({
    SPOOKY_INSECURE_DEV: "1",
    LISTEN_ADDR: "127.0.0.1:0",
    SPOOKY_DATA_DIR: dir,
    SURREALDB_URL: `surrealkv://${path.join(dir, "surreal")}`,
    LOG_LEVEL: "info",
    // Short enough that some rounds are killed after a snapshot, some before.
    SAVE_DEBOUNCE_MS: "40",
    SAVE_MAX_DELAY_MS: "200",
  });
  const started = await ssp.waitForLog(/^SSP listening on /, 60_000).catch(async (err: Error) => {
    // spawn-ssp's message has the output but not how the process ended.
    const code = await Promise.race([ssp.exited, new Promise((r) => setTimeout(r, 1000, "still running"))]);
    throw new Error(`${err.message}\nexit: ${String(code)}`);
  });
  return { ssp, client: sspClient(transport("grpc/2", `http://${String(started.address)}`)) };
}

async function send(client: Ssp, mutation: Mutation): Promise<void> {
  switch (mutation.kind) {
    case "register": {
      const { id, surql, params, clientId } = mutation.spec;
      await client.registerView({ id, surql, params: params as never, clientId });
      return;
    }
    case "unregister":
      await client.unregisterView({ id: mutation.id });
      return;
    case "ingest":
      await client.ingestBatch({
        changes: mutation.changes.map((c) =>
          c.op === "DELETE"
            ? { op: Operation.DELETE, id: c.id, version: BigInt(c.version) }
            : { op: Operation.UPDATE, id: c.id, record: c.body as never, version: BigInt(c.version) },
        ),
      });
  }
}

async function observed(client: Ssp): Promise<Map<string, ExpectedView>> {
  const out = new Map<string, ExpectedView>();
  for (const view of (await client.listViews({})).views) {
    const got = await client.getView({ id: view.id });
    const members = got.members.map((m) => ({ id: m.id, version: Number(m.version) }));
    out.set(view.id, { members: members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) });
  }
  return out;
}

function edgesFrom(views: Map<string, ExpectedView>): EdgeMap {
  const edges: EdgeMap = {};
  for (const [id, view] of views) for (const m of view.members) (edges[id] ??= {})[m.id] = m.version;
  return edges;
}

/** JSON with keys sorted, so maps built in different orders compare equal. */
function canonical(map: EdgeMap): string {
  return JSON.stringify(Object.keys(map).sort().map((view) => [view, Object.entries(map[view]!).sort()]));
}

/** The candidate with the fewest differing (view, record) entries: the most useful diff on a failure. */
function closestTo(actual: EdgeMap, candidates: EdgeMap[]): EdgeMap {
  const entries = (m: EdgeMap) => new Set(Object.entries(m).flatMap(([v, rs]) => Object.entries(rs).map(([r, n]) => `${v} ${r} ${n}`)));
  const have = entries(actual);
  const distance = (m: EdgeMap) => {
    const want = entries(m);
    return [...want].filter((e) => !have.has(e)).length + [...have].filter((e) => !want.has(e)).length;
  };
  return candidates.reduce((best, c) => (distance(c) < distance(best) ? c : best));
}

interface RoundResult {
  readonly acknowledged: number;
  readonly inFlight: number;
  readonly inFlightApplied: number;
}

async function crashRound(round: number): Promise<RoundResult> {
  const seed = SEED * 1000 + round;
  const where = `round ${round} (SSP_CRASH_SEED=${SEED})`;
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-crash-"));
  try {
    const acked = new Model();
    let acknowledged = 0;
    const inFlight: Mutation[] = [];
    const { ssp, client } = await start(dir);
    const killAfterMs = 20 + Math.floor(random(seed)() * 400);
    let killed = false;
    const drive = async (writer: number) => {
      for (const mutation of mutations(seed, writer)) {
        inFlight[writer] = mutation;
        try {
          await send(client, mutation);
        } catch (err) {
          if (killed) return;
          throw err;
        }
        if (killed) return; // answered, but maybe after the kill: treat as in flight
        acked.apply(mutation);
        acknowledged++;
        delete inFlight[writer];
        // The other writers start once the views are registered.
        if (writer === 0 && acknowledged === VIEWS.length) {
          others = Promise.all(Array.from({ length: WRITERS - 1 }, (_, i) => drive(i + 1)));
        }
      }
    };
    let others: Promise<unknown> = Promise.resolve();
    const first = drive(0);
    while (acknowledged < VIEWS.length) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, killAfterMs));
    killed = true;
    ssp.child.kill("SIGKILL");
    await Promise.all([first, others]);
    expect(await ssp.exited).toBe("SIGKILL");

    // Each mutation in flight at the kill may or may not be there (they commute).
    const pending = inFlight.filter((m) => m !== undefined);
    const candidates = Array.from({ length: 2 ** pending.length }, (_, mask) => {
      const model = acked.clone();
      pending.forEach((m, i) => (mask & (1 << i)) !== 0 && model.apply(m));
      return { mask, views: model.expected() };
    });
    // An acknowledged ingest's edges were committed before it answered: SurrealDB
    // has them even before the restart resyncs anything.
    const edgesAtKill = await edgesOf(`surrealkv://${path.join(dir, "surreal")}`);
    if (!candidates.some((c) => canonical(edgesFrom(c.views)) === canonical(edgesAtKill))) {
      const closest = closestTo(edgesAtKill, candidates.map((c) => edgesFrom(c.views)));
      expect(edgesAtKill, `${where}: edges in SurrealDB right after the kill, ${pending.length} in flight`).toEqual(closest);
    }

    const restarted = await start(dir);
    try {
      const after = await observed(restarted.client);
      const match = candidates.find((c) => JSON.stringify([...c.views]) === JSON.stringify([...after]));
      // On a mismatch, the diff shown is against the acknowledged mutations alone.
      if (match === undefined) expect(after, `${where}: ${pending.length} in flight`).toEqual(candidates[0]!.views);
      const inFlightApplied = match!.mask.toString(2).split("1").length - 1;
      const resync = await restarted.client.resyncEdges({});
      expect([resync.added, resync.removed, resync.updated], where).toEqual([0n, 0n, 0n]);
      restarted.ssp.child.kill("SIGTERM");
      expect(await restarted.ssp.exited, where).toBe(0);
      expect(await edgesOf(`surrealkv://${path.join(dir, "surreal")}`), `${where}: edges in SurrealDB`).toEqual(edgesFrom(after));
      return { acknowledged, inFlight: pending.length, inFlightApplied };
    } finally {
      restarted.ssp.child.kill("SIGKILL");
    }
  } finally {
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

describe("the service under kill -9", () => {
  it(`loses nothing acknowledged and rebuilds views and edges exactly (${ROUNDS} rounds)`, async () => {
    const lanes = Array.from({ length: LANES }, (_, lane) => Array.from({ length: ROUNDS }, (_, i) => i).filter((i) => i % LANES === lane));
    const runLane = async (rounds: number[]) => {
      const out: RoundResult[] = [];
      for (const round of rounds) out.push(await crashRound(round));
      return out;
    };
    const results = (await Promise.all(lanes.map(runLane))).flat();
    if (process.env.SSP_CRASH_VERBOSE === "1") console.log(JSON.stringify(results));
    expect(results).toHaveLength(ROUNDS);
    // The kills landed in the middle of traffic, not before it.
    expect(results.reduce((sum, r) => sum + r.acknowledged, 0)).toBeGreaterThan(ROUNDS * 5);
  }, 120_000 + ROUNDS * 20_000);
});

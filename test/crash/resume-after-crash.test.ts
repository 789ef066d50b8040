/**
 * A resumed WatchDeltas stream never diverges after kill -9. The real service
 * runs as a child process with the journal on; one view `SELECT * FROM item`;
 * each round opens a stream, starts WRITERS concurrent writers, and SIGKILLs
 * the server the moment the stream receives its first delta. After the restart
 * the stream's last cursor is resumed twice, right away and after five more
 * acknowledged creates; a cursor read from GetView right after the restart must
 * continue through those creates exactly. Each time the client's membership,
 * rebuilt from what it held plus what the resumed stream sends (deltas after
 * the cursor, or a snapshot marked reset), must equal GetView; no sequence may ever
 * come with two different contents (every delta streamed or acknowledged is
 * recorded by sequence). A round's restarted server is the next round's server,
 * so N rounds cost N + 1 starts; LANES chains run side by side.
 *
 * With the journal off a crash loses state, so the incarnation must change and
 * an old cursor must get a reset snapshot, even when its number matches.
 *
 * SSP_CRASH_ROUNDS sets the number of rounds (20 by default; `make crash` runs more).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Operation, type ViewDelta, type WatchDeltasResponse } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";

const ROUNDS = Number(process.env.SSP_CRASH_ROUNDS ?? 20);
const LANES = 3;
const WRITERS = 6;
const VIEW = "items";
/** How long a resumed stream may take to bring the client to GetView's sequence. */
const CATCH_UP_MS = 20_000;

type Ssp = ReturnType<typeof sspClient>;

interface Server {
  readonly ssp: SspProcess;
  readonly client: Ssp;
}

/** Node's compile cache, shared by every start: it halves a start's CPU (most of a round). */
const COMPILE_CACHE = path.join(tmpdir(), "ssp-test-compile-cache");

async function start(dir: string, extra: Record<string, string> = {}): Promise<Server> {
  const ssp = spawnSsp({
    NODE_COMPILE_CACHE: COMPILE_CACHE,
    SPOOKY_INSECURE_DEV: "1",
    LISTEN_ADDR: "127.0.0.1:0",
    SPOOKY_DATA_DIR: dir,
    // The edges are not what this suite checks: an in-memory SurrealDB starts fastest.
    SURREALDB_URL: "mem://",
    LOG_LEVEL: "info",
    SAVE_DEBOUNCE_MS: "50",
    SAVE_MAX_DELAY_MS: "300",
    ...extra,
  });
  const started = await ssp.waitForLog(/^SSP listening on /, 60_000);
  return { ssp, client: sspClient(transport("grpc/2", `http://${String(started.address)}`)) };
}

/** What a client holds of the view: its membership and the cursor to resume from. */
interface ClientView {
  members: Map<string, bigint>;
  sequence: bigint;
  incarnation: string;
}

const copy = (view: ClientView): ClientView => ({ ...view, members: new Map(view.members) });

/** Every delta seen, by sequence: a sequence must never come with two contents. */
class SequenceLedger {
  private readonly contents = new Map<bigint, string>();
  recorded = 0;

  record(delta: ViewDelta, where: string): void {
    const content = JSON.stringify(delta.deltas.map((d) => [d.id, d.event, d.version.toString()]).sort());
    const seen = this.contents.get(delta.sequence);
    if (seen !== undefined && seen !== content) {
      throw new Error(`${where}: sequence ${delta.sequence} of view ${VIEW} came as ${seen} and then as ${content}`);
    }
    this.contents.set(delta.sequence, content);
    this.recorded++;
  }
}

/** Applies one stream message to the client's view; a gap or an unmarked snapshot mid-stream is an error. */
function apply(view: ClientView, message: WatchDeltasResponse, ledger: SequenceLedger, where: string): void {
  switch (message.kind.case) {
    case "snapshot": {
      const snapshot = message.kind.value;
      view.members = new Map(snapshot.members.map((m) => [m.id, m.version]));
      view.sequence = snapshot.sequence;
      view.incarnation = snapshot.incarnation;
      return;
    }
    case "delta": {
      const delta = message.kind.value;
      if (delta.sequence !== view.sequence + 1n) throw new Error(`${where}: delta ${delta.sequence} after ${view.sequence}`);
      ledger.record(delta, where);
      for (const d of delta.deltas) {
        if (d.event === 3) view.members.delete(d.id);
        else view.members.set(d.id, d.version);
      }
      view.sequence = delta.sequence;
      return;
    }
    default:
      return;
  }
}

function membersOf(members: Iterable<readonly [string, bigint]>): string[] {
  return [...members].map(([id, version]) => `${id}@${version}`).sort();
}

/**
 * Resumes `held` (a copy) from its cursor and follows the stream until the client
 * is at GetView's sequence; then compares memberships. Silence where the
 * cursor cannot continue times out and fails.
 */
async function resume(server: Server, held: ClientView, ledger: SequenceLedger, where: string): Promise<"continued" | "reset"> {
  const view = copy(held);
  const truth = await server.client.getView({ id: VIEW });
  const target = truth.view!.sequence;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CATCH_UP_MS);
  let outcome: "continued" | "reset" = "continued";
  try {
    if (view.sequence !== target) {
      const stream = server.client.watchDeltas(
        { viewIds: [VIEW], resumeFrom: { [VIEW]: view.sequence }, incarnation: view.incarnation },
        { signal: abort.signal },
      );
      for await (const message of stream) {
        if (message.kind.case === "snapshot") {
          if (!message.kind.value.reset) throw new Error(`${where}: a resumed view got a snapshot not marked reset`);
          outcome = "reset";
        }
        apply(view, message, ledger, where);
        if (view.sequence === target) break;
      }
    }
  } catch (err) {
    if (abort.signal.aborted) throw new Error(`${where}: resumed at ${held.sequence}, the stream never reached GetView's ${target}`);
    throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  expect(view.sequence, where).toBe(target);
  expect(membersOf(view.members), where).toEqual(membersOf(truth.members.map((m) => [m.id, m.version] as const)));
  return outcome;
}

/** One writer: creates, updates and deletes its own items until told to stop (or the server dies). */
async function write(client: Ssp, writer: number, round: number, ledger: SequenceLedger, stop: { now: boolean }): Promise<void> {
  const live: number[] = [];
  for (let n = 0; !stop.now; n++) {
    const roll = (n * 7 + writer * 3) % 10;
    let change;
    if (roll < 6 || live.length === 0) {
      live.push(n);
      change = { op: Operation.CREATE, id: `item:r${round}w${writer}n${n}`, record: { writer, n } as never };
    } else if (roll < 9) {
      const key = live[n % live.length]!;
      change = { op: Operation.UPDATE, id: `item:r${round}w${writer}n${key}`, record: { writer, n, updated: true } as never };
    } else {
      const key = live.splice(n % live.length, 1)[0]!;
      change = { op: Operation.DELETE, id: `item:r${round}w${writer}n${key}` };
    }
    try {
      const answer = await client.ingest({ change });
      // Acknowledged: durable, and its sequences are final.
      for (const delta of answer.views) ledger.record(delta, `round ${round}, writer ${writer}'s acknowledged ingest`);
    } catch (err) {
      if (stop.now) return;
      throw err;
    }
  }
}

interface RoundResult {
  readonly cursorAhead: boolean;
  readonly resumedRightAway: "continued" | "reset";
  readonly resumedAfterWrites: "continued" | "reset";
  readonly getViewCursor: "continued" | "reset";
}

/** One round on a running server; returns the restarted server for the next round. */
async function crashRound(dir: string, server: Server, round: number, ledger: SequenceLedger): Promise<[Server, RoundResult]> {
  const where = `round ${round}`;
  const view: ClientView = { members: new Map(), sequence: -1n, incarnation: "" };
  const abort = new AbortController();
  const stop = { now: false };
  let writers: Promise<unknown> = Promise.resolve();
  try {
    for await (const message of server.client.watchDeltas({ viewIds: [VIEW] }, { signal: abort.signal })) {
      apply(view, message, ledger, `${where}, before the kill`);
      if (message.kind.case === "snapshot") {
        writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => write(server.client, w, round, ledger, stop)));
      } else if (message.kind.case === "delta") {
        server.ssp.child.kill("SIGKILL");
        stop.now = true;
        break;
      }
    }
  } catch (err) {
    if (!stop.now) throw err;
  } finally {
    stop.now = true;
    abort.abort();
  }
  await writers;
  expect(await server.ssp.exited, where).toBe("SIGKILL");
  const restarted = await start(dir);
  // A client that read GetView right after the restart holds a cursor that must continue exactly.
  const incarnation = (await restarted.client.getServerInfo({})).incarnation;
  const atRestart = await restarted.client.getView({ id: VIEW });
  const sequenceAfterRestart = atRestart.view!.sequence;
  const fromGetView: ClientView = { members: new Map(atRestart.members.map((m) => [m.id, m.version])), sequence: sequenceAfterRestart, incarnation };
  const resumedRightAway = await resume(restarted, view, ledger, `${where}, resumed right after the restart`);
  for (let i = 0; i < 5; i++) {
    const answer = await restarted.client.ingest({ change: { op: Operation.CREATE, id: `item:r${round}after${i}`, record: { i } as never } });
    for (const delta of answer.views) ledger.record(delta, `${where}, acknowledged create ${i} after the restart`);
  }
  const resumedAfterWrites = await resume(restarted, view, ledger, `${where}, resumed after 5 acknowledged creates`);
  const getViewCursor = await resume(restarted, fromGetView, ledger, `${where}, GetView's cursor resumed after 5 acknowledged creates`);
  return [restarted, { cursorAhead: view.sequence > sequenceAfterRestart, resumedRightAway, resumedAfterWrites, getViewCursor }];
}

async function lane(rounds: number, laneNo: number): Promise<RoundResult[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-resume-crash-"));
  const ledger = new SequenceLedger();
  let server = await start(dir);
  try {
    await server.client.registerView({ id: VIEW, surql: "SELECT * FROM item", clientId: "app" });
    const results: RoundResult[] = [];
    let incarnation: string | undefined;
    for (let round = 0; round < rounds; round++) {
      const [next, result] = await crashRound(dir, server, laneNo * 10_000 + round, ledger);
      server = next;
      results.push(result);
      // The journal proves continuity: a crash does not start a new incarnation.
      const now = (await server.client.getServerInfo({})).incarnation;
      incarnation ??= now;
      expect(now, `lane ${laneNo} round ${round}: incarnation after kill -9 with the journal on`).toBe(incarnation);
    }
    server.ssp.child.kill("SIGTERM");
    expect(await server.ssp.exited).toBe(0);
    return results;
  } finally {
    server.ssp.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

describe("WatchDeltas resume across kill -9", () => {
  it(`never diverges: a cursor continues exactly or gets a reset snapshot, and no sequence is reused (${ROUNDS} rounds)`, async () => {
    const perLane = Array.from({ length: LANES }, (_, i) => Math.floor(ROUNDS / LANES) + (i < ROUNDS % LANES ? 1 : 0));
    const results = (await Promise.all(perLane.map((rounds, i) => lane(rounds, i)))).flat();
    if (process.env.SSP_CRASH_VERBOSE === "1") console.log(JSON.stringify(results));
    expect(results).toHaveLength(ROUNDS);
    // Delivery waits for durability: a cursor is never ahead of the restarted state.
    expect(results.filter((r) => r.cursorAhead)).toEqual([]);
    // And a cursor the restarted server handed out continues without a reset.
    expect(results.filter((r) => r.getViewCursor !== "continued")).toEqual([]);
  }, 60_000 + ROUNDS * 15_000);

  it("starts a new incarnation after a crash with the journal off, so an old cursor gets a reset snapshot", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ssp-incarnation-"));
    const journalOff = { SSP_JOURNAL: "0", SAVE_DEBOUNCE_MS: "60000", SAVE_MAX_DELAY_MS: "60000" };
    const ledger = new SequenceLedger();
    let server = await start(dir, journalOff);
    try {
      await server.client.registerView({ id: VIEW, surql: "SELECT * FROM item", clientId: "app" });
      await server.client.save({});
      const held: ClientView = { members: new Map(), sequence: -1n, incarnation: "" };
      const abort = new AbortController();
      const stream = server.client.watchDeltas({ viewIds: [VIEW] }, { signal: abort.signal })[Symbol.asyncIterator]();
      apply(held, (await stream.next()).value as WatchDeltasResponse, ledger, "first start");
      for (let i = 0; i < 3; i++) {
        await server.client.ingest({ change: { op: Operation.CREATE, id: `item:lost${i}`, record: { i } as never } });
        apply(held, (await stream.next()).value as WatchDeltasResponse, ledger, "first start");
      }
      abort.abort();
      server.ssp.child.kill("SIGKILL");
      await server.ssp.exited;

      // The three creates are lost; three others take their sequence numbers.
      server = await start(dir, journalOff);
      for (let i = 0; i < 3; i++) await server.client.ingest({ change: { op: Operation.CREATE, id: `item:new${i}`, record: { i } as never } });
      const info = await server.client.getServerInfo({});
      expect(info.incarnation).not.toBe(held.incarnation);
      expect((await server.client.getView({ id: VIEW })).view!.sequence).toBe(held.sequence);
      // The old cursor's number matches the view's, but not its content.
      const firstOf = async (request: Parameters<Ssp["watchDeltas"]>[0]) => {
        const abort = new AbortController();
        try {
          for await (const message of server.client.watchDeltas(request, { signal: abort.signal, timeoutMs: CATCH_UP_MS })) return message;
        } finally {
          abort.abort();
        }
        throw new Error("the stream ended without a message");
      };
      const old = await firstOf({ viewIds: [VIEW], resumeFrom: { [VIEW]: held.sequence }, incarnation: held.incarnation });
      expect(old.kind.case === "snapshot" && old.kind.value.reset, "old incarnation's cursor").toBe(true);
      expect(old.kind.value).toMatchObject({ sequence: held.sequence, incarnation: info.incarnation });
      // A client that sends no incarnation with a cursor ahead of the view gets a reset too, never silence.
      const ahead = await firstOf({ viewIds: [VIEW], resumeFrom: { [VIEW]: held.sequence + 5n } });
      expect(ahead.kind.case === "snapshot" && ahead.kind.value.reset, "cursor ahead of the view").toBe(true);

      // A clean stop saves everything a client saw: the incarnation carries over.
      server.ssp.child.kill("SIGTERM");
      expect(await server.ssp.exited).toBe(0);
      server = await start(dir, journalOff);
      expect((await server.client.getServerInfo({})).incarnation).toBe(info.incarnation);
    } finally {
      server.ssp.child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  }, 120_000);
});

/**
 * The whole service through real clients: the real core (circuit, journal,
 * edges on an embedded SurrealDB, delta hub) behind the real server.
 */
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeltaEvent, Operation, type Delta, type StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Ssp = Client<typeof StreamProcessorService>;

const THREADS = `SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS author,
  (SELECT * FROM comment WHERE thread = $parent.id ORDER BY created_at DESC LIMIT 2) AS comments
  FROM thread WHERE room = $room ORDER BY created_at DESC LIMIT 10`;

const create = (id: string, record: Record<string, unknown>) => ({ op: Operation.CREATE, id, record: record as never });
const remove = (id: string) => ({ op: Operation.DELETE, id });
const link = (id: string) => ({ $rid: id });

async function members(client: Ssp, id: string): Promise<string[]> {
  const view = await client.getView({ id });
  return view.members.map((m) => m.id).sort();
}

async function codeOf(call: Promise<unknown>): Promise<Code | undefined> {
  try {
    await call;
    return undefined;
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

describe("the service end to end", () => {
  let real: RealCore;
  let server: TestServer;
  let client: Ssp;

  beforeAll(async () => {
    real = await startRealCore();
    server = await startTestServer(real.core);
    client = sspClient(transport("grpc/2", server.url));
  });

  afterAll(async () => {
    await server?.close();
    await real?.dispose();
  });

  it("registers a view with subqueries, ingests, and reads the membership back", async () => {
    const registered = await client.registerView({ id: "lobby", surql: THREADS, params: { room: "lobby" }, clientId: "app" });
    expect(registered.members).toEqual([]);
    expect(registered.sequence).toBe(0n);

    const batch = await client.ingestBatch({
      changes: [
        create("user:1", { name: "ada" }),
        create("thread:1", { room: "lobby", author: link("user:1"), created_at: 1 }),
        create("comment:1", { thread: link("thread:1"), created_at: 1 }),
        create("comment:2", { thread: link("thread:1"), created_at: 2 }),
        create("comment:3", { thread: link("thread:1"), created_at: 3 }),
        create("thread:2", { room: "other", author: link("user:1"), created_at: 2 }),
      ],
    });
    expect(batch.applied).toBe(6);
    expect(batch.views).toHaveLength(1);
    expect(batch.views[0]?.sequence).toBe(1n);
    expect(await members(client, "lobby")).toEqual(["comment:2", "comment:3", "thread:1", "user:1"]);

    // The newest comment displaces the oldest of the top two.
    const ingest = await client.ingest({ change: create("comment:4", { thread: link("thread:1"), created_at: 4 }) });
    const events = ingest.views[0]?.deltas.map((d) => [d.id, d.event]).sort();
    expect(events).toEqual([
      ["comment:2", DeltaEvent.DELETED],
      ["comment:4", DeltaEvent.CREATED],
    ]);

    // Deleting the thread takes its comments and author with it.
    await client.ingest({ change: remove("thread:1") });
    expect(await members(client, "lobby")).toEqual([]);
  });

  it("rejects a batch with one bad change and applies none of it", async () => {
    const before = await client.getServerInfo({});
    const code = await codeOf(
      client.ingestBatch({ changes: [create("user:9", { name: "x" }), { op: Operation.CREATE, id: "not an id", record: {} }] }),
    );
    expect(code).toBe(Code.InvalidArgument);
    const after = await client.getServerInfo({});
    expect(after.records).toBe(before.records);
  });

  it("rejects unsupported SurrealQL with INVALID_ARGUMENT and keeps no view", async () => {
    expect(await codeOf(client.registerView({ id: "bad", surql: "SELECT count() FROM user GROUP ALL", clientId: "app" }))).toBe(
      Code.InvalidArgument,
    );
    expect(await codeOf(client.getView({ id: "bad" }))).toBe(Code.NotFound);
  });

  it("streams a snapshot and then the deltas of later ingests", async () => {
    await client.registerView({ id: "users", surql: "SELECT * FROM user WHERE name != NONE", clientId: "app" });
    const abort = new AbortController();
    const stream = client.watchDeltas({ viewIds: ["users"] }, { signal: abort.signal });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.kind.case).toBe("snapshot");
    await client.ingest({ change: create("user:7", { name: "grace" }) });
    const { value: second } = await iterator.next();
    expect(second?.kind.case).toBe("delta");
    const delta = second?.kind.case === "delta" ? second.kind.value : undefined;
    expect(delta?.deltas.map((d: Delta) => d.id)).toEqual(["user:7"]);
    abort.abort();
  });

  it("keeps SurrealDB's edges equal to the membership (a resync finds nothing to fix)", async () => {
    const repaired = await client.resyncEdges({});
    expect({ added: repaired.added, removed: repaired.removed, updated: repaired.updated }).toEqual({
      added: 0n,
      removed: 0n,
      updated: 0n,
    });
  });

  it("unregisters views and answers NOT_FOUND for unknown ones", async () => {
    await client.unregisterView({ id: "users" });
    expect(await codeOf(client.getView({ id: "users" }))).toBe(Code.NotFound);
    expect(await codeOf(client.unregisterView({ id: "users" }))).toBe(Code.NotFound);
  });

  it("keeps the state across a restart", async () => {
    await client.registerView({ id: "ada", surql: "SELECT * FROM user WHERE name = 'ada'", clientId: "app" });
    const saved = await client.save({});
    expect(saved.bytes).toBeGreaterThan(0n);
    await client.ingest({ change: create("user:8", { name: "ada" }) });
    const before = await members(client, "ada");
    await server.close();
    real = await real.restart();
    server = await startTestServer(real.core);
    client = sspClient(transport("connect/1.1", server.url));
    expect(await members(client, "ada")).toEqual(before);
    expect(before).toEqual(["user:1", "user:8"]);
  });

  it("resets every view and record", async () => {
    await client.reset({});
    const info = await client.getServerInfo({});
    expect(info.views).toBe(0);
    expect(info.records).toBe(0n);
    expect((await client.listViews({})).views).toEqual([]);
  });
});

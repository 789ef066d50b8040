/**
 * Every RPC through the Connect client, over gRPC, gRPC-Web and Connect on
 * HTTP/1.1 and HTTP/2, against the real server and a recording fake core:
 * requests reach the core converted, answers come back converted.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeltaEvent,
  EdgeStatus,
  Operation,
  RecordChangeSchema,
} from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { healthClient, sspClient, transport, TRANSPORTS } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

let core: FakeCore;
let ts: TestServer;

beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core);
});
afterAll(() => ts.close());

const lastCall = () => core.calls.at(-1);

describe.each(TRANSPORTS)("over %s", (name) => {
  // One transport per protocol: each holds its own connection, reused across tests.
  let shared: ReturnType<typeof sspClient> | undefined;
  const client = () => (shared ??= sspClient(transport(name, ts.url)));

  it("Ingest passes one converted change and returns its deltas", async () => {
    const res = await client().ingest({
      change: { op: Operation.CREATE, id: "user:1", record: { name: "Ada", room: { $rid: "room:1" } }, version: 7n },
    });
    expect(lastCall()).toEqual({
      method: "ingest",
      args: [[{ op: "CREATE", id: "user:1", table: undefined, body: { name: "Ada", room: { $rid: "room:1" } }, version: 7 }]],
    });
    expect(res.edges).toBe(EdgeStatus.COMMITTED);
    expect(res.stale).toBe(false);
    expect(res.views[0]?.viewId).toBe("v1");
    expect(res.views[0]?.sequence).toBe(4n);
    expect(res.views[0]?.deltas.map((d) => [d.id, d.event, d.version])).toEqual([
      ["user:1", DeltaEvent.UPDATED, 3n],
      ["user:2", DeltaEvent.DELETED, 5n],
    ]);
  });

  it("IngestBatch passes every change in order", async () => {
    const res = await client().ingestBatch({
      changes: [
        create(RecordChangeSchema, { op: Operation.UPDATE, id: "user:2", table: "user", record: {} }),
        create(RecordChangeSchema, { op: Operation.DELETE, id: "user:3" }),
      ],
    });
    expect(lastCall()?.args[0]).toEqual([
      { op: "UPDATE", id: "user:2", table: "user", body: {}, version: undefined },
      { op: "DELETE", id: "user:3", table: undefined, body: undefined, version: undefined },
    ]);
    expect(res.applied).toBe(2);
    expect(res.stale).toBe(0);
  });

  it("RegisterView passes the spec and returns the membership", async () => {
    const res = await client().registerView({
      id: "v9",
      surql: "SELECT * FROM user WHERE room = $room",
      params: { room: { $rid: "room:1" } },
      clientId: "c1",
      ttl: durationFromMs(90_000),
      lastActiveAt: timestampFromMs(Date.UTC(2026, 1, 2)),
    });
    expect(lastCall()).toEqual({
      method: "registerView",
      args: [
        {
          id: "v9",
          surql: "SELECT * FROM user WHERE room = $room",
          params: { room: { $rid: "room:1" } },
          clientId: "c1",
          ttlMs: 90_000,
          lastActiveAt: Date.UTC(2026, 1, 2),
        },
      ],
    });
    expect(res.viewId).toBe("v9");
    expect(res.members.map((m) => [m.id, m.version])).toEqual([
      ["user:1", 2n],
      ["user:⟨a b⟩", 1n],
    ]);
    expect(res.sequence).toBe(3n);
    expect(res.replaced?.viewId).toBe("v9");
    expect(res.edges).toBe(EdgeStatus.PENDING);
  });

  it("RegisterView defaults last_active_at to now", async () => {
    const before = Date.now();
    await client().registerView({ id: "v10", surql: "SELECT * FROM user" });
    const spec = lastCall()?.args[0] as { lastActiveAt: number; ttlMs: number; params: object };
    expect(spec.lastActiveAt).toBeGreaterThanOrEqual(before);
    expect(spec.ttlMs).toBe(0);
    expect(spec.params).toEqual({});
  });

  it("UnregisterView, Reset, Save and ResyncEdges reach the core", async () => {
    const c = client();
    expect((await c.unregisterView({ id: "v1" })).edges).toBe(EdgeStatus.COMMITTED);
    expect(lastCall()).toEqual({ method: "unregisterView", args: ["v1"] });
    expect((await c.reset({})).edges).toBe(EdgeStatus.UNSPECIFIED);
    expect(lastCall()).toEqual({ method: "reset", args: [] });
    const saved = await c.save({});
    expect(saved.bytes).toBe(1234n);
    expect(saved.duration).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
    const resynced = await c.resyncEdges({ viewId: "v1" });
    expect([resynced.added, resynced.removed, resynced.updated]).toEqual([1n, 2n, 3n]);
    expect(lastCall()).toEqual({ method: "resyncEdges", args: ["v1"] });
    await c.resyncEdges({});
    expect(lastCall()).toEqual({ method: "resyncEdges", args: [undefined] });
  });

  it("GetView and ListViews return view infos", async () => {
    const c = client();
    const got = await c.getView({ id: "v1" });
    expect(got.view).toMatchObject({ id: "v1", clientId: "client-1", sequence: 3n, memberCount: 2 });
    expect(got.view?.params).toEqual({ room: { $rid: "room:1" }, name: "user:1" });
    expect(got.members.map((m) => m.id)).toEqual(["user:1", "user:⟨a b⟩"]);
    const listed = await c.listViews({ clientId: "client-1" });
    expect(lastCall()).toEqual({ method: "listViews", args: ["client-1"] });
    expect(listed.views.map((v) => v.id)).toEqual(["v1"]);
    await c.listViews({});
    expect(lastCall()).toEqual({ method: "listViews", args: [undefined] });
  });

  it("WatchDeltas streams snapshot, delta, heartbeat and close", async () => {
    const kinds: string[] = [];
    for await (const msg of client().watchDeltas({ viewIds: ["v1"], resumeFrom: { v1: 2n }, includeRecords: true })) {
      kinds.push(msg.kind.case ?? "none");
      if (msg.kind.case === "snapshot") {
        expect(msg.kind.value.records["user:1"]).toEqual({ name: "Ada", room: { $rid: "room:1" } });
        expect(msg.kind.value.members).toHaveLength(2);
      }
      if (msg.kind.case === "delta") {
        expect(msg.kind.value.deltas[0]?.record).toEqual({ name: "Ada", room: { $rid: "room:1" } });
        expect(msg.kind.value.deltas[1]?.record).toBeUndefined();
      }
    }
    expect(kinds).toEqual(["snapshot", "delta", "heartbeat", "closed"]);
    expect(core.calls.find((c) => c.method === "watch")?.args[0]).toEqual({
      viewIds: ["v1"],
      clientId: undefined,
      resumeFrom: new Map([["v1", 2]]),
      includeRecords: true,
    });
  });

  it("GetServerInfo reports version, uptime and the core's counts", async () => {
    const info = await client().getServerInfo({});
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.uptime).toBeDefined();
    expect([info.views, info.records, info.streams, info.outboxPending]).toEqual([2, 10n, 1, 0n]);
  });

  it("grpc.health.v1 Check answers SERVING", async () => {
    const res = await healthClient(transport(name, ts.url)).check({ service: "" });
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

/**
 * The whole service when SurrealDB refuses one edge transaction for good (a real
 * refusal injected by a wrapper around the real connection): later writes still
 * commit, the refused write is set aside and counted, readiness says so with the
 * reason, ResyncEdges makes the edges equal to the circuit's membership again and
 * readiness turns green. Also: an outbox entry stuck past SSP_OUTBOX_STUCK_MS, and
 * an edge database that cannot open, both turn readiness NOT_SERVING with a reason.
 */
import { writeFile } from "node:fs/promises";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Client } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { EdgeStatus, Operation, type StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { EdgeDatabase } from "../../src/edges/index.js";
import { TestDatabase, readEdges, touchesView } from "../edges/fixtures.js";
import { parsePrometheusText, valueOf } from "../telemetry/prometheus-text.js";
import { healthClient, sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Ssp = Client<typeof StreamProcessorService>;

interface Service {
  readonly real: RealCore;
  readonly server: TestServer;
  readonly client: Ssp;
  /** The fault-injecting wrapper around the real connection. */
  readonly db: TestDatabase;
}

const item = (key: number, kind: string) => ({ op: Operation.CREATE, id: `item:${key}`, record: { kind } as never });

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function ready(s: Service): Promise<{ status: number; body: { failing?: string[]; checks: Record<string, { ok: boolean; detail?: string }> } }> {
  const res = await fetch(`${s.server.url}/health/ready`);
  return { status: res.status, body: (await res.json()) as never };
}

async function grpcHealth(s: Service): Promise<Status> {
  return (await healthClient(transport("grpc/2", s.server.url)).check({ service: "" })).status;
}

async function metric(s: Service, name: string): Promise<number | undefined> {
  const body = await (await fetch(`${s.server.url}/metrics`)).text();
  return valueOf(parsePrometheusText(body), name);
}

/** Each view's edges in SurrealDB and its membership in the circuit, as sorted record ids. */
async function edgesAndMembers(s: Service, views: readonly string[]): Promise<{ edges: Record<string, string[]>; members: Record<string, string[]> }> {
  const rows = await readEdges(s.db.inner);
  const edges: Record<string, string[]> = {};
  const members: Record<string, string[]> = {};
  for (const id of views) {
    edges[id] = rows.filter((r) => r.viewId === id).map((r) => `${JSON.parse(r.record)[0]}:${JSON.parse(r.record)[1]}`).sort();
    members[id] = (await s.client.getView({ id })).members.map((m) => m.id).sort();
  }
  return { edges, members };
}

describe("an edge write SurrealDB refuses for good", () => {
  const opened: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of opened.splice(0).reverse()) await close();
  });

  async function serve(env: Record<string, string> = {}): Promise<Service> {
    let db: TestDatabase | undefined;
    const real = await startRealCore({ SURREALDB_URL: "mem://", ...env }, undefined, {
      wrapEdgeDatabase: (inner: EdgeDatabase) => (db = new TestDatabase(inner)),
    });
    opened.push(() => real.dispose());
    const server = await startTestServer(real.core, { server: { readinessTimeoutMs: 5_000 } });
    opened.push(() => server.close());
    server.server.addRoute("/metrics", real.telemetry.prometheus);
    real.telemetry.metrics.observeGauges({
      outboxPending: () => real.core.info().outboxPending,
      outboxSetAside: () => real.core.setAsideCount(),
    });
    if (db === undefined) throw new Error("the edge database was not wrapped");
    return { real, server, client: sspClient(transport("grpc/2", server.url)), db };
  }

  async function serveCore(real: RealCore): Promise<TestServer> {
    const server = await startTestServer(real.core, { server: { readinessTimeoutMs: 5_000 } });
    opened.push(() => server.close());
    return server;
  }

  async function registerTwoViews(s: Service): Promise<void> {
    await s.client.registerView({ id: "good", surql: "SELECT * FROM item WHERE kind = 'good'", clientId: "app" });
    await s.client.registerView({ id: "bad", surql: "SELECT * FROM item WHERE kind = 'bad'", clientId: "app" });
  }

  it("is set aside and counted, later writes commit, readiness reports it, and ResyncEdges repairs it", async () => {
    const s = await serve();
    await registerTwoViews(s);
    expect((await ready(s)).status).toBe(200);

    s.db.refuse = (_text, bindings) => touchesView(bindings, "bad");
    const refused = await s.client.ingestBatch({ changes: [item(1, "good"), item(2, "bad")] });
    expect(refused.edges).toBe(EdgeStatus.PENDING);
    // The automatic resync of both views: "good" is repaired, "bad" is refused again and set aside.
    await until(
      async () => (await s.client.getServerInfo({})).outboxPending === 0n && s.real.core.setAsideCount() === 2,
      "the outbox to drain, with the refused write and the refused resync set aside",
    );

    // Later writes commit, in order, straight through.
    expect((await s.client.ingest({ change: item(3, "good") })).edges).toBe(EdgeStatus.COMMITTED);
    expect((await s.client.ingestBatch({ changes: [item(4, "good"), { op: Operation.DELETE, id: "item:3" }] })).edges).toBe(
      EdgeStatus.COMMITTED,
    );

    const notReady = await ready(s);
    expect(notReady.status).toBe(503);
    expect(notReady.body.failing).toEqual(["edges"]);
    expect(notReady.body.checks.edges?.detail).toMatch(/^2 edge writes refused by SurrealDB and set aside; edges of view "bad" are stale until ResyncEdges repairs them; last refusal: .*Couldn't coerce/);
    expect(await grpcHealth(s)).toBe(Status.NOT_SERVING);
    expect(await metric(s, "ssp_outbox_set_aside_total")).toBe(2);
    expect(await metric(s, "ssp_outbox_set_aside")).toBe(2);

    let state = await edgesAndMembers(s, ["good", "bad"]);
    expect(state.edges.good).toEqual(state.members.good);
    expect(state.members.bad).toEqual(["item:2"]);
    expect(state.edges.bad).toEqual([]);

    s.db.refuse = undefined;
    expect(await s.client.resyncEdges({ viewId: "bad" })).toMatchObject({ added: 1n, removed: 0n });
    state = await edgesAndMembers(s, ["good", "bad"]);
    expect(state.edges).toEqual(state.members);
    expect((await ready(s)).status).toBe(200);
    expect(await grpcHealth(s)).toBe(Status.SERVING);
    expect(await metric(s, "ssp_outbox_set_aside")).toBe(0);
  });

  it("is repaired by the automatic resync when SurrealDB stops refusing", async () => {
    const s = await serve();
    await registerTwoViews(s);
    // Refused on the first attempt and on the retry alone (so it is set aside), then accepted.
    s.db.refuse = (_text, bindings) => touchesView(bindings, "bad") && s.db.refused < 2;
    await s.client.ingestBatch({ changes: [item(1, "good"), item(2, "bad"), item(3, "bad")] });
    // Set aside (refused twice, nothing pending), then repaired (nothing set aside).
    await until(
      async () =>
        s.db.refused === 2 &&
        (await s.client.getServerInfo({})).outboxPending === 0n &&
        s.real.core.setAsideCount() === 0 &&
        (await ready(s)).status === 200,
      "the automatic repair",
    );
    expect(await metric(s, "ssp_outbox_set_aside_total")).toBe(1);
    const state = await edgesAndMembers(s, ["good", "bad"]);
    expect(state.edges).toEqual(state.members);
    expect(state.members.bad).toEqual(["item:2", "item:3"]);
  });

  it("stays set aside across a restart, whose full resync SurrealDB refuses too, until ResyncEdges repairs every view", async () => {
    let refuseBad = true;
    let db: TestDatabase | undefined;
    const wrap = (inner: EdgeDatabase): EdgeDatabase => {
      db = new TestDatabase(inner);
      db.refuse = (_text, bindings) => refuseBad && touchesView(bindings, "bad");
      return db;
    };
    let real = await startRealCore({ SURREALDB_URL: "mem://" }, undefined, { wrapEdgeDatabase: wrap });
    opened.push(() => real.dispose());
    const first = sspClient(transport("grpc/2", (await serveCore(real)).url));
    await first.registerView({ id: "good", surql: "SELECT * FROM item WHERE kind = 'good'" });
    await first.registerView({ id: "bad", surql: "SELECT * FROM item WHERE kind = 'bad'" });
    // The registration of "bad" and the automatic resync after it are both refused.
    await until(
      async () => (await first.getServerInfo({})).outboxPending === 0n && real.core.setAsideCount() === 2,
      "the refused registration and its resync to be set aside",
    );
    await first.ingestBatch({ changes: [item(1, "good"), item(2, "bad")] });

    real = await real.restart();
    const server = await serveCore(real);
    const client = sspClient(transport("grpc/2", server.url));
    // What was set aside before stays aside; the start's resync of every view is refused and set aside as well.
    await until(async () => (await client.getServerInfo({})).outboxPending === 0n && real.core.setAsideCount() >= 2, "the start's resync to settle");
    const refusedBefore = db?.refused ?? 0;
    const res = await fetch(`${server.url}/health/ready`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { checks: { edges: { detail: string } } }).checks.edges.detail).toContain("edges of every view are stale");
    // Nothing set aside is retried on its own.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(db?.refused).toBe(refusedBefore);

    refuseBad = false;
    await client.resyncEdges({});
    expect(real.core.setAsideCount()).toBe(0);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    const edges = await readEdges(db!.inner);
    for (const id of ["good", "bad"]) {
      const members = (await client.getView({ id })).members.map((m) => m.id).sort();
      expect(edges.filter((e) => e.viewId === id).map((e) => `${JSON.parse(e.record)[0]}:${JSON.parse(e.record)[1]}`).sort()).toEqual(members);
    }
  });

  it("an outbox entry stuck past SSP_OUTBOX_STUCK_MS turns readiness NOT_SERVING, and green once it commits", async () => {
    const s = await serve({ SSP_OUTBOX_STUCK_MS: "300" });
    await registerTwoViews(s);
    // Transient failures (SurrealDB still answers its probe): retried, never set aside.
    s.db.failNext = 1_000_000;
    expect((await s.client.ingest({ change: item(1, "good") })).edges).toBe(EdgeStatus.PENDING);
    await until(async () => (await ready(s)).status === 503, "readiness to fail");
    const body = (await ready(s)).body;
    expect(body.failing).toEqual(["outbox"]);
    expect(body.checks.outbox?.detail).toMatch(/^the oldest of 1 pending edge writes has waited \d+ s, over SSP_OUTBOX_STUCK_MS \(300 ms\)$/);
    expect(await grpcHealth(s)).toBe(Status.NOT_SERVING);
    expect(s.real.core.setAsideCount()).toBe(0);

    s.db.failNext = 0;
    await until(async () => (await ready(s)).status === 200, "readiness to recover");
    const state = await edgesAndMembers(s, ["good"]);
    expect(state.edges).toEqual(state.members);
  });
});

describe("an edge database that cannot open", () => {
  it("serves with readiness NOT_SERVING naming the open error", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ssp-noopen-"));
    const blocker = path.join(dir, "not-a-directory");
    await writeFile(blocker, "a file where the database directory should be");
    const real = await startRealCore({ SURREALDB_URL: `surrealkv://${path.join(blocker, "db")}` }, dir);
    const server = await startTestServer(real.core, { server: { readinessTimeoutMs: 5_000 } });
    try {
      const res = await fetch(`${server.url}/health/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { failing: string[]; checks: Record<string, { detail?: string }> };
      expect(body.failing).toContain("surrealdb");
      // The embedded engine hangs on such a path without an error: the reason is the attempt that never finished.
      expect(body.checks.surrealdb?.detail).toBe(
        `SurrealDB does not answer: connecting to surrealkv://${path.join(blocker, "db")} did not finish within 5000 ms`,
      );
      expect((await healthClient(transport("grpc/2", server.url)).check({ service: "" })).status).toBe(Status.NOT_SERVING);
    } finally {
      await server.close();
      await real.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Quotas through real clients on the real core: SSP_MAX_VIEWS_PER_CLIENT,
 * SSP_MAX_STREAMS_PER_CLIENT and SSP_MAX_STREAMS, each at its limit and one
 * past it. Going over answers RESOURCE_EXHAUSTED naming the limit and its
 * value, with ErrorInfo QUOTA_EXCEEDED and a RetryInfo, and changes nothing:
 * the state a client can read, and the open streams, are the same before and
 * after. Concurrent requests cannot both take the last slot.
 */
import { toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  GetViewResponseSchema,
  ListViewsResponseSchema,
  type StreamProcessorService,
  type WatchDeltasRequestSchema,
  type WatchDeltasResponse,
} from "../../gen/spooky/ssp/v1/ssp_pb.js";

import { failure, sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Ssp = Client<typeof StreamProcessorService>;
type WatchInit = MessageInitShape<typeof WatchDeltasRequestSchema>;

const SURQL = "SELECT * FROM item";

let real: RealCore;
let server: TestServer;
let client: Ssp;

beforeAll(async () => {
  real = await startRealCore({
    SSP_MAX_VIEWS_PER_CLIENT: "3",
    SSP_MAX_STREAMS_PER_CLIENT: "2",
    SSP_MAX_STREAMS: "4",
    SSP_WATCH_HEARTBEAT_MS: "60000",
  });
  server = await startTestServer(real.core);
  client = sspClient(transport("grpc/2", server.url));
});

afterAll(async () => {
  await server?.close();
  await real?.dispose();
});

/** What a client can read of the views, as bytes. */
async function viewState(): Promise<string[]> {
  const views = await client.listViews({});
  const parts = [toBinary(ListViewsResponseSchema, views)];
  for (const view of views.views) parts.push(toBinary(GetViewResponseSchema, await client.getView({ id: view.id })));
  return parts.map((bytes) => Buffer.from(bytes).toString("base64"));
}

function expectQuotaError(err: ConnectError, limit: string, value: number): void {
  expect(err.code).toBe(Code.ResourceExhausted);
  expect(err.rawMessage).toContain(limit);
  expect(err.rawMessage).toContain(String(value));
  const [info] = err.findDetails(ErrorInfoSchema);
  expect(info?.reason).toBe("QUOTA_EXCEEDED");
  expect(info?.domain).toBe("ssp.spooky.dev");
  expect(info?.metadata).toMatchObject({ limit, value: String(value) });
  const [retry] = err.findDetails(RetryInfoSchema);
  expect(Number(retry?.retryDelay?.seconds ?? 0)).toBeGreaterThan(0);
}

describe("SSP_MAX_VIEWS_PER_CLIENT", () => {
  afterEach(async () => {
    for (const view of (await client.listViews({})).views) await client.unregisterView({ id: view.id });
  });

  it("registers up to the limit, refuses one more without a trace, and re-registering is not a new view", async () => {
    for (const id of ["a1", "a2", "a3"]) await client.registerView({ id, surql: SURQL, clientId: "alice" });
    await client.registerView({ id: "a3", surql: "SELECT * FROM item WHERE n > 1", clientId: "alice" });
    await client.registerView({ id: "b1", surql: SURQL, clientId: "bob" });
    const before = await viewState();
    expectQuotaError(await failure(client.registerView({ id: "a4", surql: SURQL, clientId: "alice" })), "SSP_MAX_VIEWS_PER_CLIENT", 3);
    // Moving bob's view to alice would be a fourth view for alice.
    expectQuotaError(await failure(client.registerView({ id: "b1", surql: SURQL, clientId: "alice" })), "SSP_MAX_VIEWS_PER_CLIENT", 3);
    expect(await viewState()).toEqual(before);
    expect((await client.getServerInfo({})).views).toBe(4);
    // Views of no client count against no client; and a removed view frees its slot.
    await client.registerView({ id: "free", surql: SURQL, clientId: "" });
    await client.unregisterView({ id: "a1" });
    await client.registerView({ id: "a4", surql: SURQL, clientId: "alice" });
  });

  it("lets exactly the quota's worth of concurrent registrations through", async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    const results = await Promise.allSettled(ids.map((id) => client.registerView({ id, surql: SURQL, clientId: "carol" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    for (const r of results) if (r.status === "rejected") expectQuotaError(ConnectError.from(r.reason), "SSP_MAX_VIEWS_PER_CLIENT", 3);
    expect((await client.listViews({ clientId: "carol" })).views).toHaveLength(3);
  });

  it("still holds after a restart: the count is rebuilt from the recovered state", async () => {
    for (const id of ["d1", "d2", "d3"]) await client.registerView({ id, surql: SURQL, clientId: "dave" });
    await server.close();
    real = await real.restart();
    server = await startTestServer(real.core);
    client = sspClient(transport("grpc/2", server.url));
    expectQuotaError(await failure(client.registerView({ id: "d4", surql: SURQL, clientId: "dave" })), "SSP_MAX_VIEWS_PER_CLIENT", 3);
  });
});

/** An open stream: resolves once its first message (a snapshot) arrived. */
interface OpenStream {
  readonly first: WatchDeltasResponse;
  close(): void;
}

async function openStream(request: WatchInit): Promise<OpenStream> {
  const abort = new AbortController();
  const iterator = client.watchDeltas(request, { signal: abort.signal })[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    if (first.done === true) throw new Error("stream ended without a message");
    return { first: first.value, close: () => abort.abort() };
  } catch (err) {
    abort.abort();
    throw err;
  }
}

/** Streams the server counts, read through GetServerInfo. */
async function openStreams(): Promise<number> {
  return (await client.getServerInfo({})).streams;
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met within 20 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("stream quotas", () => {
  const streams: OpenStream[] = [];

  beforeAll(async () => {
    for (const view of (await client.listViews({})).views) await client.unregisterView({ id: view.id });
    for (const client_ of ["alice", "bob", "carol", "dave", "erin"]) {
      await client.registerView({ id: `${client_}-v`, surql: SURQL, clientId: client_ });
    }
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await eventually(async () => (await openStreams()) === 0);
  });

  it("SSP_MAX_STREAMS_PER_CLIENT: two open by client id, the third refused before any message; named views count only in all", async () => {
    streams.push(await openStream({ clientId: "alice" }));
    streams.push(await openStream({ clientId: "alice", viewIds: ["bob-v"] }));
    expect(await openStreams()).toBe(2);
    for (const request of [{ clientId: "alice" }, { clientId: "alice", viewIds: ["bob-v"] }] as WatchInit[]) {
      expectQuotaError(await failure(openStream(request)), "SSP_MAX_STREAMS_PER_CLIENT", 2);
    }
    expect(await openStreams()).toBe(2);
    // A backend following alice's view by its id is not alice's stream: it counts only in all.
    streams.push(await openStream({ viewIds: ["alice-v"] }));
    // Bob's slot was not taken by the refused stream that named his view.
    streams.push(await openStream({ clientId: "bob" }));
    expect(await openStreams()).toBe(4);
    // A closed stream frees its slot.
    streams.shift()?.close();
    await eventually(async () => (await openStreams()) === 3);
    streams.push(await openStream({ clientId: "alice" }));
  });

  it("SSP_MAX_STREAMS: four open in all, the fifth refused whoever asks", async () => {
    for (const c of ["alice", "bob", "carol", "dave"]) streams.push(await openStream({ clientId: c }));
    expectQuotaError(await failure(openStream({ clientId: "erin" })), "SSP_MAX_STREAMS", 4);
    expect(await openStreams()).toBe(4);
  });

  it("concurrent opens take exactly the free slots", async () => {
    const requests = ["alice", "alice", "alice", "bob", "bob", "bob", "carol", "erin"].map((c) => openStream({ clientId: c }));
    const results = await Promise.allSettled(requests);
    for (const r of results) if (r.status === "fulfilled") streams.push(r.value);
    expect(streams).toHaveLength(4);
    expect(await openStreams()).toBe(4);
    for (const r of results) if (r.status === "rejected") expect(ConnectError.from(r.reason).code).toBe(Code.ResourceExhausted);
  });
});

/**
 * Size limits through real RPCs on the real core: a view's params, one record
 * body and one batch's bodies over their limit are refused with
 * RESOURCE_EXHAUSTED naming the limit, and GetServerInfo (but uptime), ListViews
 * and GetView are byte-identical before and after.
 */
import { toBinary } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetServerInfoResponseSchema,
  GetViewResponseSchema,
  ListViewsResponseSchema,
  Operation,
  type StreamProcessorService,
} from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { jsonSize } from "../../src/core/input-limits.js";
import { failure, sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Ssp = Client<typeof StreamProcessorService>;

const create = (id: string, record: Record<string, unknown>) => ({ op: Operation.CREATE, id, record: record as never });

/** Everything a client can read of the state, as bytes (uptime left out: it moves). */
async function stateOf(client: Ssp): Promise<string[]> {
  const info = await client.getServerInfo({});
  info.uptime = undefined;
  const views = await client.listViews({});
  const parts = [toBinary(GetServerInfoResponseSchema, info), toBinary(ListViewsResponseSchema, views)];
  for (const view of views.views) parts.push(toBinary(GetViewResponseSchema, await client.getView({ id: view.id })));
  return parts.map((bytes) => Buffer.from(bytes).toString("base64"));
}

/** A string value whose object `{ [key]: value }` is exactly `bytes` long as JSON. */
function objectOfSize(key: string, bytes: number): Record<string, string> {
  const overhead = jsonSize({ [key]: "" });
  return { [key]: "x".repeat(bytes - overhead) };
}

async function serve(env: Record<string, string>): Promise<{ real: RealCore; server: TestServer; client: Ssp }> {
  const real = await startRealCore(env);
  const server = await startTestServer(real.core);
  return { real, server, client: sspClient(transport("grpc/2", server.url)) };
}

describe("configured size limits", () => {
  let real: RealCore;
  let server: TestServer;
  let client: Ssp;

  beforeAll(async () => {
    ({ real, server, client } = await serve({ SSP_MAX_PARAMS_BYTES: "1000", SSP_MAX_RECORD_BYTES: "2000", SSP_MAX_BATCH_BYTES: "5000" }));
    await client.registerView({ id: "v", surql: "SELECT * FROM item WHERE kind = $kind", params: { kind: "a" }, clientId: "app" });
    await client.ingestBatch({ changes: [create("item:1", { kind: "a" }), create("item:2", { kind: "b" })] });
  });

  afterAll(async () => {
    await server?.close();
    await real?.dispose();
  });

  it("accepts params exactly at the limit, refuses one byte more, and the refusal changes nothing", async () => {
    await client.registerView({ id: "edge", surql: "SELECT * FROM item WHERE kind = $kind", params: objectOfSize("kind", 1000) });
    const before = await stateOf(client);
    for (const id of ["edge", "new"]) {
      const err = await failure(client.registerView({ id, surql: "SELECT * FROM item WHERE kind = $kind", params: objectOfSize("kind", 1001) }));
      expect(err.code).toBe(Code.ResourceExhausted);
      expect(err.rawMessage).toContain("SSP_MAX_PARAMS_BYTES");
      expect(err.rawMessage).toContain("1000 bytes");
    }
    expect(await stateOf(client)).toEqual(before);
  });

  it("refuses a record body over its limit, in Ingest and inside a batch", async () => {
    const before = await stateOf(client);
    const single = await failure(client.ingest({ change: create("item:3", { kind: "a", ...objectOfSize("pad", 2000) }) }));
    expect([single.code, single.rawMessage]).toEqual([Code.ResourceExhausted, expect.stringContaining("SSP_MAX_RECORD_BYTES")]);
    const inBatch = await failure(
      client.ingestBatch({ changes: [create("item:4", { kind: "a" }), create("item:5", { kind: "a", ...objectOfSize("pad", 2001) })] }),
    );
    expect([inBatch.code, inBatch.rawMessage]).toEqual([Code.ResourceExhausted, expect.stringContaining("changes[1].record")]);
    expect(await stateOf(client)).toEqual(before);
  });

  it("refuses a batch whose bodies are each small enough but too large together", async () => {
    const before = await stateOf(client);
    const changes = Array.from({ length: 4 }, (_, i) => create(`item:${10 + i}`, objectOfSize("kind", 1500)));
    const err = await failure(client.ingestBatch({ changes }));
    expect([err.code, err.rawMessage]).toEqual([Code.ResourceExhausted, expect.stringContaining("SSP_MAX_BATCH_BYTES")]);
    expect(await stateOf(client)).toEqual(before);
    await client.ingestBatch({ changes: changes.slice(0, 3) });
  });
});

describe("default size limits", () => {
  let real: RealCore;
  let server: TestServer;
  let client: Ssp;

  beforeAll(async () => {
    ({ real, server, client } = await serve({}));
  });

  afterAll(async () => {
    await server?.close();
    await real?.dispose();
  });

  it("refuses params over 1 MiB, which SurrealDB would otherwise be asked to store", async () => {
    await client.registerView({ id: "v", surql: "SELECT * FROM item WHERE kind = $kind", params: { kind: "a" } });
    const before = await stateOf(client);
    const err = await failure(client.registerView({ id: "big", surql: "SELECT * FROM item", params: objectOfSize("kind", 1_048_577) }));
    expect([err.code, err.rawMessage]).toEqual([Code.ResourceExhausted, expect.stringContaining("1048576 bytes")]);
    expect(await stateOf(client)).toEqual(before);
  });
});

/**
 * A stock grpc-js client that knows SSP only from the .proto files (loaded with
 * @grpc/proto-loader) reaches every RPC, with bearer auth in metadata.
 */
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { grpcJsClients, type GenericClient } from "../support/grpc-js-clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "grpc-js-secret";

type Callback = (err: grpc.ServiceError | null, res: Record<string, unknown>) => void;

let core: FakeCore;
let ts: TestServer;
let ssp: GenericClient;
let health: GenericClient;

beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { secret: SECRET });
  ({ ssp, health } = grpcJsClients(ts.server.port));
});
afterAll(async () => {
  ssp?.close();
  health?.close();
  await ts?.close();
});

function auth(token = SECRET): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  return md;
}

function unary(client: GenericClient, method: string, request: object, md = auth()): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const cb: Callback = (err, res) => (err ? reject(err) : resolve(res));
    client[method]!(request, md, cb);
  });
}

/** A google.protobuf.Struct as proto-loader writes it. */
const struct = (fields: Record<string, unknown>) => ({ fields });

it("reaches every unary RPC", async () => {
  const ingest = await unary(ssp, "Ingest", {
    change: { op: "OPERATION_CREATE", id: "user:1", record: struct({ name: { stringValue: "Ada" } }) },
  });
  expect(ingest).toMatchObject({ edges: "EDGE_STATUS_COMMITTED", stale: false });
  expect(core.calls.at(-1)?.args[0]).toEqual([{ op: "CREATE", id: "user:1", table: undefined, body: { name: "Ada" }, version: undefined }]);

  expect(await unary(ssp, "IngestBatch", { changes: [{ op: "OPERATION_DELETE", id: "user:1" }] })).toMatchObject({ applied: 1 });
  const registered = await unary(ssp, "RegisterView", { id: "v1", surql: "SELECT * FROM user", ttl: { seconds: "60" } });
  expect(registered).toMatchObject({ viewId: "v1", sequence: "3" });
  expect(core.calls.at(-1)?.args[0]).toMatchObject({ id: "v1", ttlMs: 60_000 });
  expect(await unary(ssp, "UnregisterView", { id: "v1" })).toMatchObject({ edges: "EDGE_STATUS_COMMITTED" });
  expect(await unary(ssp, "Reset", {})).toMatchObject({ edges: "EDGE_STATUS_UNSPECIFIED" });
  expect(await unary(ssp, "GetView", { id: "v1" })).toMatchObject({ view: { id: "v1", memberCount: 2 } });
  expect(((await unary(ssp, "ListViews", {})).views as unknown[]).length).toBe(1);
  expect(await unary(ssp, "Save", {})).toMatchObject({ bytes: "1234" });
  expect(await unary(ssp, "GetServerInfo", {})).toMatchObject({ views: 2, records: "10" });
  expect(await unary(ssp, "ResyncEdges", { viewId: "v1" })).toMatchObject({ added: "1", removed: "2", updated: "3" });
});

it("reads a WatchDeltas stream to its end", async () => {
  const kinds = await new Promise<string[]>((resolve, reject) => {
    const seen: string[] = [];
    const call = ssp.WatchDeltas!({ viewIds: ["v1"], includeRecords: true }, auth()) as grpc.ClientReadableStream<{ kind: string }>;
    call.on("data", (m) => seen.push(m.kind));
    call.on("error", reject);
    call.on("end", () => resolve(seen));
  });
  expect(kinds).toEqual(["snapshot", "delta", "heartbeat", "closed"]);
});

it("gets UNAUTHENTICATED with a wrong token, and health without one", async () => {
  await expect(unary(ssp, "GetServerInfo", {}, auth("wrong"))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  await expect(unary(ssp, "GetServerInfo", {}, new grpc.Metadata())).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
  expect(await unary(health, "Check", { service: "" }, new grpc.Metadata())).toEqual({ status: "SERVING" });
});

it("gets INVALID_ARGUMENT with the precise message", async () => {
  await expect(unary(ssp, "GetView", { id: "" })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: "id is required" });
});

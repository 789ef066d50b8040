/**
 * Every error carries a google.rpc.ErrorInfo (reason, domain, metadata naming
 * the field or limit) next to its message, and RetryInfo only where retrying
 * later can help. Read as a client would: the Connect client's findDetails
 * (Connect and gRPC protocols), and grpc-js, decoding the
 * `grpc-status-details-bin` trailer as a google.rpc.Status.
 */
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { fromBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema, type ErrorInfo, type RetryInfo } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { Operation, type StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { bearer, failure, sspClient, transport, type TransportName } from "../support/clients.js";
import { grpcJsClients, type GenericClient } from "../support/grpc-js-clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "service secret for error details";
const AUTH = { headers: bearer(SECRET) };

let real: RealCore;
let ts: TestServer;

beforeAll(async () => {
  real = await startRealCore({ SSP_MAX_RECORD_BYTES: "100", SSP_MAX_VIEWS_PER_CLIENT: "1" });
  ts = await startTestServer(real.core, { secret: SECRET, limits: { maxMessageBytes: 4096 }, maxBatchChanges: 2 });
  await sspClient(transport("grpc/2", ts.url)).registerView({ id: "v", surql: "SELECT * FROM item", clientId: "alice" }, AUTH);
});

afterAll(async () => {
  await ts?.close();
  await real?.dispose();
});

async function firstMessage(stream: AsyncIterable<unknown>): Promise<unknown> {
  for await (const message of stream) return message;
  return undefined;
}

type Ssp = Client<typeof StreamProcessorService>;

/** Each case: a refused call, the code, the ErrorInfo expected, and whether a RetryInfo comes with it. */
const CASES: {
  name: string;
  call: (ssp: Ssp) => Promise<unknown>;
  code: Code;
  reason: string;
  metadata?: Record<string, string>;
  retry: boolean;
}[] = [
  { name: "no credentials (the auth gate)", call: (ssp) => ssp.listViews({}), code: Code.Unauthenticated, reason: "CREDENTIALS_MISSING", retry: false },
  {
    name: "an unknown view (GetView)",
    call: (ssp) => ssp.getView({ id: "nope" }, AUTH),
    code: Code.NotFound,
    reason: "VIEW_NOT_FOUND",
    metadata: { view_id: "nope" },
    retry: false,
  },
  {
    name: "an unknown view (WatchDeltas)",
    call: (ssp) => firstMessage(ssp.watchDeltas({ viewIds: ["nope"] }, AUTH)),
    code: Code.NotFound,
    reason: "VIEW_NOT_FOUND",
    metadata: { view_id: "nope", count: "1" },
    retry: false,
  },
  {
    name: "a query the circuit refuses",
    call: (ssp) => ssp.registerView({ id: "bad", surql: "SELECT FROM WHERE" }, AUTH),
    code: Code.InvalidArgument,
    reason: "INVALID_QUERY",
    retry: false,
  },
  {
    name: "a batch over SSP_MAX_BATCH_CHANGES",
    call: (ssp) => ssp.ingestBatch({ changes: [1, 2, 3].map((n) => ({ op: Operation.DELETE, id: `item:${n}` })) }, AUTH),
    code: Code.InvalidArgument,
    reason: "LIMIT_EXCEEDED",
    metadata: { field: "changes", limit: "SSP_MAX_BATCH_CHANGES", value: "2" },
    retry: false,
  },
  {
    name: "a record over SSP_MAX_RECORD_BYTES (a byte size: no RetryInfo)",
    call: (ssp) => ssp.ingest({ change: { op: Operation.CREATE, id: "item:1", record: { s: "x".repeat(200) } as never } }, AUTH),
    code: Code.ResourceExhausted,
    reason: "LIMIT_EXCEEDED",
    metadata: { limit: "SSP_MAX_RECORD_BYTES", value: "100", index: "0" },
    retry: false,
  },
  {
    name: "a message over SSP_MAX_MESSAGE_BYTES (refused by connect before parsing)",
    call: (ssp) => ssp.ingest({ change: { op: Operation.CREATE, id: "item:1", record: { s: "x".repeat(10_000) } as never } }, AUTH),
    code: Code.ResourceExhausted,
    reason: "MESSAGE_TOO_LARGE",
    metadata: { limit: "SSP_MAX_MESSAGE_BYTES", value: "4096" },
    retry: false,
  },
  {
    name: "a view over SSP_MAX_VIEWS_PER_CLIENT (a quota: RetryInfo)",
    call: (ssp) => ssp.registerView({ id: "v2", surql: "SELECT * FROM item", clientId: "alice" }, AUTH),
    code: Code.ResourceExhausted,
    reason: "QUOTA_EXCEEDED",
    metadata: { limit: "SSP_MAX_VIEWS_PER_CLIENT", value: "1", client_id: "alice" },
    retry: true,
  },
];

describe.each(["connect/1.1", "grpc/2"] as TransportName[])("the Connect client over %s reads the details with findDetails", (name) => {
  it.each(CASES)("$name", async ({ call, code, reason, metadata, retry }) => {
    const err = await failure(call(sspClient(transport(name, ts.url))));
    expect(err.code).toBe(code);
    const infos = err.findDetails(ErrorInfoSchema);
    expect(infos).toHaveLength(1);
    expect(infos[0]?.reason).toBe(reason);
    expect(infos[0]?.domain).toBe("ssp.spooky.dev");
    if (metadata !== undefined) expect(infos[0]?.metadata).toEqual(metadata);
    const retries = err.findDetails(RetryInfoSchema);
    expect(retries).toHaveLength(retry ? 1 : 0);
    if (retry) expect(Number(retries[0]?.retryDelay?.seconds)).toBeGreaterThan(0);
  });
});

describe("grpc-js reads them from grpc-status-details-bin", () => {
  let ssp: GenericClient;
  beforeAll(() => {
    ssp = grpcJsClients(ts.server.port).ssp;
  });
  afterAll(() => ssp?.close());

  function unaryError(method: string, request: unknown, withAuth = true): Promise<grpc.ServiceError> {
    const md = new grpc.Metadata();
    if (withAuth) md.set("authorization", `Bearer ${SECRET}`);
    return new Promise((resolve, reject) => {
      ssp[method]!(request, md, (err: grpc.ServiceError | null) => (err === null ? reject(new Error("expected an error")) : resolve(err)));
    });
  }

  function detailsOf(err: grpc.ServiceError): { code: number; message: string; info: ErrorInfo | undefined; retry: RetryInfo | undefined } {
    const [bin] = err.metadata.get("grpc-status-details-bin");
    expect(bin).toBeInstanceOf(Buffer);
    const status = fromBinary(StatusSchema, bin as Buffer);
    const info = status.details.map((any) => anyUnpack(any, ErrorInfoSchema)).find((d) => d !== undefined);
    const retry = status.details.map((any) => anyUnpack(any, RetryInfoSchema)).find((d) => d !== undefined);
    return { code: status.code, message: status.message, info, retry };
  }

  it("a quota: ErrorInfo naming the limit and a RetryInfo", async () => {
    const err = await unaryError("RegisterView", { id: "v3", surql: "SELECT * FROM item", clientId: "alice" });
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const { code, message, info, retry } = detailsOf(err);
    expect(code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(message).toContain("SSP_MAX_VIEWS_PER_CLIENT");
    expect(info).toMatchObject({ reason: "QUOTA_EXCEEDED", domain: "ssp.spooky.dev", metadata: { limit: "SSP_MAX_VIEWS_PER_CLIENT", value: "1" } });
    expect(Number(retry?.retryDelay?.seconds)).toBeGreaterThan(0);
  });

  it("a wrong bearer token at the gate", async () => {
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer wrong");
    const err = await new Promise<grpc.ServiceError>((resolve) => ssp.ListViews!({}, md, (e: grpc.ServiceError) => resolve(e)));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(detailsOf(err)).toMatchObject({ info: { reason: "TOKEN_INVALID", domain: "ssp.spooky.dev" }, retry: undefined });
  });

  it("an unknown view, and a record over its size limit without RetryInfo", async () => {
    expect(detailsOf(await unaryError("UnregisterView", { id: "nope" })).info).toMatchObject({ reason: "VIEW_NOT_FOUND" });
    const big = { change: { op: "OPERATION_CREATE", id: "item:1", record: { fields: { s: { stringValue: "x".repeat(200) } } } } };
    expect(detailsOf(await unaryError("Ingest", big))).toMatchObject({
      info: { reason: "LIMIT_EXCEEDED", metadata: { limit: "SSP_MAX_RECORD_BYTES" } },
      retry: undefined,
    });
  });
});

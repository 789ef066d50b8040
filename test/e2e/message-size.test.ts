/**
 * SSP_MAX_MESSAGE_BYTES bounds every request message as it arrives and again
 * after decompression: an authenticated caller sending a larger message, or a
 * small gzip that inflates past the limit, gets RESOURCE_EXHAUSTED in its own
 * protocol, and the core is never touched.
 */
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { bearer, sspClient, transport, type TransportName } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "size-secret";
const LIMIT = 64 * 1024;
const INGEST_BATCH = "/spooky.ssp.v1.StreamProcessorService/IngestBatch";
/** 16 MiB of zeros: about 16 KiB gzipped, far under the limit on the wire, far over it inflated. */
const BOMB = gzipSync(Buffer.alloc(16 * 1024 * 1024));

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { secret: SECRET, limits: { maxMessageBytes: LIMIT } });
});
afterAll(() => ts.close());

/** An IngestBatch of about `bytes` bytes on the wire, in changes of about 200 bytes (well within SSP_MAX_BATCH_CHANGES). */
function batchOf(bytes: number) {
  const count = Math.ceil(bytes / 200);
  return { changes: Array.from({ length: count }, (_, i) => ({ op: Operation.DELETE, id: `user:${String(i).padStart(190, "0")}` })) };
}

describe.each(["grpc/2", "connect/1.1", "grpc-web/2"] satisfies TransportName[])("over %s", (name) => {
  it("a message over the limit gets RESOURCE_EXHAUSTED and never reaches the core", async () => {
    const before = core.calls.length;
    const err = await sspClient(transport(name, ts.url))
      .ingestBatch(batchOf(2 * LIMIT), { headers: bearer(SECRET) })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(Code.ResourceExhausted);
    expect(err?.rawMessage).toContain(`readMaxBytes ${LIMIT}`);
    expect(core.calls.length).toBe(before);
  });

  it("a message under the limit is served", async () => {
    await expect(sspClient(transport(name, ts.url)).ingestBatch(batchOf(LIMIT / 2), { headers: bearer(SECRET) })).resolves.toMatchObject({});
  });
});

it("a gRPC gzip bomb under the limit on the wire gets RESOURCE_EXHAUSTED once it inflates past it", async () => {
  const session = http2.connect(ts.url);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": INGEST_BATCH,
      "content-type": "application/grpc",
      "grpc-encoding": "gzip",
      te: "trailers",
      ...bearer(SECRET),
    });
    const head = Buffer.from([1, 0, 0, 0, 0]);
    head.writeUInt32BE(BOMB.length, 1);
    stream.end(Buffer.concat([head, BOMB]));
    stream.resume();
    const status = await new Promise<{ code: string; message: string }>((resolve) => {
      const take = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) resolve({ code: String(h["grpc-status"]), message: decodeURIComponent(String(h["grpc-message"])) });
      };
      stream.on("response", take);
      stream.on("trailers", take);
    });
    expect(status.code).toBe(String(Code.ResourceExhausted));
    expect(status.message).toContain(`larger than configured readMaxBytes ${LIMIT} after decompression`);
  } finally {
    session.destroy();
  }
});

it("a Connect unary gzip bomb gets HTTP 429 with code resource_exhausted", async () => {
  const before = core.calls.length;
  const res = await fetch(`${ts.url}${INGEST_BATCH}`, {
    method: "POST",
    headers: { "content-type": "application/proto", "content-encoding": "gzip", ...bearer(SECRET) },
    body: BOMB,
  });
  expect(res.status).toBe(429);
  expect(await res.json()).toMatchObject({ code: "resource_exhausted" });
  expect(core.calls.length).toBe(before);
});

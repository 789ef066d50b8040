/**
 * The bearer token is checked on the headers, before any byte of the body is
 * read, decompressed or parsed: a call without a token gets UNAUTHENTICATED in
 * its own protocol even when its body never arrives, is random, or is a gzip
 * bomb, and the core is never touched.
 */
import http2 from "node:http2";
import net from "node:net";
import { gzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { grpcJsClients } from "../support/grpc-js-clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "before-body-secret";
const INGEST_BATCH = "/spooky.ssp.v1.StreamProcessorService/IngestBatch";
/** 64 MiB of zeros, gzipped to about 64 KiB. */
const BOMB = gzipSync(Buffer.alloc(64 * 1024 * 1024));

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { secret: SECRET });
});
afterAll(() => ts.close());

/** A gRPC envelope: flag (1 = compressed), big-endian length, payload. */
function envelope(payload: Buffer, compressed: boolean): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

interface RawAnswer {
  readonly status: number | undefined;
  readonly grpcStatus: string | undefined;
  readonly grpcMessage: string | undefined;
}

/**
 * One raw HTTP/2 gRPC call. With `body` undefined the request stays open with no
 * body at all, so an answer proves the server did not wait for one.
 */
function rawGrpc(headers: http2.OutgoingHttpHeaders, body: Buffer | undefined): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(ts.url);
    session.on("error", reject);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error("no gRPC status within 10 s"));
    }, 10_000);
    const stream = session.request({ ":method": "POST", ":path": INGEST_BATCH, "content-type": "application/grpc", te: "trailers", ...headers });
    let answer: { status?: number; grpcStatus?: string; grpcMessage?: string } = {};
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h[":status"] !== undefined) answer.status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) answer = { ...answer, grpcStatus: String(h["grpc-status"]), grpcMessage: String(h["grpc-message"] ?? "") };
      if (answer.grpcStatus !== undefined) {
        clearTimeout(timer);
        resolve({ status: answer.status, grpcStatus: answer.grpcStatus, grpcMessage: answer.grpcMessage });
        session.destroy();
      }
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.on("error", () => undefined);
    stream.resume();
    if (body !== undefined) stream.end(body);
    else stream.write(Buffer.alloc(0));
  });
}

describe("raw HTTP/2 gRPC without a token", () => {
  it("gets UNAUTHENTICATED while the body has not even been sent", async () => {
    const before = core.calls.length;
    const answer = await rawGrpc({}, undefined);
    expect(answer).toMatchObject({ status: 200, grpcStatus: String(Code.Unauthenticated) });
    expect(decodeURIComponent(answer.grpcMessage ?? "")).toContain("missing credentials");
    expect(core.calls.length).toBe(before);
  });

  it("gets UNAUTHENTICATED for a random body, not INTERNAL", async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    expect((await rawGrpc({}, envelope(random, false))).grpcStatus).toBe(String(Code.Unauthenticated));
    expect((await rawGrpc({}, random)).grpcStatus).toBe(String(Code.Unauthenticated));
  });

  it("gets UNAUTHENTICATED for a gzip bomb, which is never inflated", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const answers = await Promise.all([1, 2, 3, 4].map(() => rawGrpc({ "grpc-encoding": "gzip", authorization: "Bearer wrong" }, envelope(BOMB, true))));
    for (const answer of answers) expect(answer.grpcStatus).toBe(String(Code.Unauthenticated));
    // Four inflated bombs would be 256 MiB of buffers in this process (the server runs in it).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(128 * 1024 * 1024);
    expect(core.calls.length).toBe(0);
  });
});

it("a Connect unary call without a token gets HTTP 401 and the error JSON before its body is sent", async () => {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(ts.server.port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  const response = new Promise<string>((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (text.includes("}")) resolve(text);
    });
  });
  socket.write(`POST ${INGEST_BATCH} HTTP/1.1\r\nHost: ssp\r\nContent-Type: application/proto\r\nContent-Encoding: gzip\r\nContent-Length: 100000000\r\n\r\n`);
  const text = await response;
  socket.destroy();
  expect(text).toMatch(/^HTTP\/1\.1 401 Unauthorized/);
  expect(JSON.parse(text.slice(text.indexOf("{")))).toMatchObject({ code: "unauthenticated" });
});

describe.each([
  ["connect/1.1", () => createConnectTransport({ baseUrl: ts.url, httpVersion: "1.1", sendCompression: compressionGzip, compressMinBytes: 1 })],
  ["grpc-web/2", () => createGrpcWebTransport({ baseUrl: ts.url, httpVersion: "2", sendCompression: compressionGzip, compressMinBytes: 1 })],
] as const)("a Connect client over %s, gzip, without a token", (_name, makeTransport) => {
  it("gets UNAUTHENTICATED for a large request", async () => {
    const changes = Array.from({ length: 5000 }, (_, i) => ({ op: Operation.DELETE, id: `user:${i}` }));
    const err = await sspClient(makeTransport())
      .ingestBatch({ changes })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    expect(err?.code).toBe(Code.Unauthenticated);
    expect(core.calls.length).toBe(0);
  });
});

it("a grpc-js client sending gzip without a token gets UNAUTHENTICATED", async () => {
  const { ssp } = grpcJsClients(ts.server.port, { "grpc.default_compression_algorithm": 2 });
  try {
    const changes = Array.from({ length: 5000 }, (_, i) => ({ op: "OPERATION_DELETE", id: `user:${i}` }));
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      ssp.IngestBatch!({ changes }, new grpc.Metadata(), (e: grpc.ServiceError | null) => resolve(e));
    });
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(core.calls.length).toBe(0);
  } finally {
    ssp.close();
  }
});

it("a refused call still gets its access-log line, without the token", async () => {
  await rawGrpc({ authorization: "Bearer not-the-secret-xyzzy", "x-request-id": "refused-1" }, undefined);
  const line = ts.logs.find((l) => l.request_id === "refused-1");
  expect(line).toMatchObject({ msg: "rpc", method: "spooky.ssp.v1.StreamProcessorService/IngestBatch", code: "UNAUTHENTICATED" });
  expect(JSON.stringify(ts.logs)).not.toContain("xyzzy");
});

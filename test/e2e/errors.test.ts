/**
 * Error mapping and request validation: precise INVALID_ARGUMENT before the
 * core is called, coded service errors mapped by their code, anything else an
 * INTERNAL that names the request id and leaks nothing; missing capabilities
 * answer UNIMPLEMENTED.
 */
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation, RecordChangeSchema } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { Core } from "../../src/core/index.js";
import { gzipSync } from "node:zlib";
import { failure, sspClient, transport } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { envelope, rawRpc, SSP_PATH, type HttpVersion } from "../support/raw-rpc.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** A CircuitError look-alike: the server knows it only by its `code` field. */
class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core);
});
afterAll(() => ts.close());
const client = () => sspClient(transport("grpc/2", ts.url));

describe("request validation", () => {
  const cases: [string, () => Promise<unknown>, string][] = [
    ["Ingest without a change", () => client().ingest({}), "change is required"],
    [
      "OPERATION_UNSPECIFIED",
      () => client().ingest({ change: { id: "user:1", record: {} } }),
      "change.op must be OPERATION_CREATE, OPERATION_UPDATE or OPERATION_DELETE, got UNSPECIFIED",
    ],
    ["an empty record id", () => client().ingest({ change: { op: Operation.DELETE } }), 'change.id is required (record id text, e.g. "user:1")'],
    [
      "a CREATE without a body",
      () => client().ingest({ change: { op: Operation.CREATE, id: "user:1" } }),
      "change.record is required for OPERATION_CREATE: send the record's full body",
    ],
    [
      "a version beyond 2^53",
      () => client().ingest({ change: { op: Operation.DELETE, id: "user:1", version: 2n ** 60n } }),
      `change.version is ${2n ** 60n}; at most ${Number.MAX_SAFE_INTEGER} is supported`,
    ],
    [
      "a bad change inside a batch (named by index)",
      () =>
        client().ingestBatch({
          changes: [create(RecordChangeSchema, { op: Operation.DELETE, id: "a:1" }), create(RecordChangeSchema, { id: "a:2" })],
        }),
      "changes[1].op must be OPERATION_CREATE, OPERATION_UPDATE or OPERATION_DELETE, got UNSPECIFIED",
    ],
    ["an empty view id", () => client().registerView({ surql: "SELECT * FROM a" }), "id is required"],
    [
      "a view id over 256 characters",
      () => client().getView({ id: "v".repeat(257) }),
      "id is 257 characters long; view ids are at most 256",
    ],
    ["an empty query", () => client().registerView({ id: "v", surql: "  " }), "surql is required (a SurrealQL SELECT query)"],
    ["an empty UnregisterView id", () => client().unregisterView({}), "id is required"],
    [
      "a watch that names nothing",
      async () => {
        for await (const _ of client().watchDeltas({})) break;
      },
      "name what to watch: view_ids, client_id, or both",
    ],
  ];

  it.each(cases)("rejects %s with INVALID_ARGUMENT, leaving the core untouched", async (_label, call, message) => {
    const before = core.calls.length;
    const err = await failure(call());
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(message);
    expect(core.calls.length).toBe(before);
  });

  it("accepts a view id of exactly 256 characters", async () => {
    await client().getView({ id: "v".repeat(256) });
  });
});

describe("requests that do not decode", () => {
  /** Bytes no protobuf message decodes from: field 524287 with wire type 7. */
  const GARBAGE = Uint8Array.from([0xff, 0xff, 0xff, 0x01, 0x02, 0x9a, 0x33]);
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const WRONG_SHAPE = utf8(JSON.stringify({ change: { op: "OPERATION_DELETE", id: "user:1" } }));
  const gzipped = gzipSync(utf8(JSON.stringify({ changes: [] })));
  const cases: [label: string, method: string, http: HttpVersion, headers: Record<string, string>, body: Uint8Array, message: RegExp][] = [
    ["Connect, random protobuf bytes", "Ingest", "1.1", { "content-type": "application/proto" }, GARBAGE, /^request does not decode: parse binary: /],
    ["Connect over HTTP/2, random bytes", "GetView", "2", { "content-type": "application/proto" }, GARBAGE, /parse binary/],
    ["Connect, a JSON body sent as application/proto", "Ingest", "1.1", { "content-type": "application/proto" }, utf8('{"change":{}}'), /parse binary/],
    ["gRPC, random protobuf bytes", "Ingest", "2", { "content-type": "application/grpc", te: "trailers" }, envelope(GARBAGE), /parse binary/],
    ["gRPC, a JSON body sent as protobuf", "IngestBatch", "2", { "content-type": "application/grpc+proto" }, envelope(utf8('{"changes":[]}')), /parse binary/],
    ["gRPC, a stream's request in random bytes", "WatchDeltas", "2", { "content-type": "application/grpc" }, envelope(GARBAGE), /parse binary/],
    ["gRPC-Web, random protobuf bytes", "Save", "1.1", { "content-type": "application/grpc-web+proto" }, envelope(GARBAGE), /parse binary/],
    ["Connect stream, random protobuf bytes", "WatchDeltas", "1.1", { "content-type": "application/connect+proto" }, envelope(GARBAGE), /parse binary/],
    // A timeout past setTimeout's range fires at once: the call's signal has aborted before its body fails to decode.
    ["gRPC, random bytes on a call whose deadline passed", "Ingest", "2", { "content-type": "application/grpc", "grpc-timeout": "99999999H" }, envelope(GARBAGE), /parse binary/],
    ["gRPC, a frame flagged compressed with no encoding", "Ingest", "2", { "content-type": "application/grpc" }, envelope(GARBAGE, 1), /compressed envelope/],
    ["Connect, a gzip body cut short", "IngestBatch", "1.1", { "content-type": "application/json", "content-encoding": "gzip" }, gzipped.subarray(0, gzipped.length - 6), /decompression failed/],
    ["Connect JSON, {\"change\"} sent to IngestBatch", "IngestBatch", "1.1", { "content-type": "application/json" }, WRONG_SHAPE, /key "change" is unknown/],
    ["gRPC JSON, an unknown field", "RegisterView", "2", { "content-type": "application/grpc+json" }, envelope(utf8('{"id":"v","surql":"SELECT * FROM a","paramz":{}}')), /key "paramz" is unknown/],
    ["Connect JSON, an unknown enum name", "Ingest", "1.1", { "content-type": "application/json" }, utf8('{"change":{"op":"OPERATION_UPSERT","id":"a:1"}}'), /OPERATION_UPSERT/],
  ];

  it.each(cases)("%s: INVALID_ARGUMENT, not INTERNAL, and the core is not called", async (_label, method, httpVersion, headers, body, message) => {
    const before = core.calls.length;
    const answer = await rawRpc(ts.url, { path: SSP_PATH + method, http: httpVersion, headers, body });
    expect([answer.code, answer.message]).toEqual([Code.InvalidArgument, expect.stringMatching(message)]);
    if (answer.httpStatus !== 200) expect(answer.httpStatus).toBe(400);
    expect(core.calls.length).toBe(before);
    expect(ts.logs.filter((l) => l.msg === "internal error")).toEqual([]);
  });

  it("still accepts JSON the contract knows", async () => {
    const answer = await rawRpc(ts.url, {
      path: SSP_PATH + "ListViews",
      http: "1.1",
      headers: { "content-type": "application/json" },
      body: utf8('{"client_id":"a"}'),
    });
    expect(answer.code).toBe(0);
  });
});

describe("errors from the core", () => {
  async function serverWith(overrides: Partial<Core>) {
    const s = await startTestServer({ ...createFakeCore(), ...overrides });
    return { s, c: sspClient(transport("grpc/2", s.url)) };
  }

  it("maps a coded error by its code, keeping its message", async () => {
    const { s, c } = await serverWith({
      registerView: async () => {
        throw new CodedError("INVALID_ARGUMENT", "unsupported construct GROUP BY at 1:20");
      },
      unregisterView: async () => {
        throw new CodedError("NOT_FOUND", 'view "x" is not registered');
      },
    });
    try {
      const a = await failure(c.registerView({ id: "v", surql: "SELECT count() FROM a GROUP BY b" }));
      expect([a.code, a.rawMessage]).toEqual([Code.InvalidArgument, "unsupported construct GROUP BY at 1:20"]);
      const b = await failure(c.unregisterView({ id: "x" }));
      expect([b.code, b.rawMessage]).toEqual([Code.NotFound, 'view "x" is not registered']);
    } finally {
      await s.close();
    }
  });

  it("turns an unknown error into INTERNAL naming the request id, logged, never leaked", async () => {
    const { s, c } = await serverWith({
      save: async () => {
        throw new Error("disk exploded at /secret/path");
      },
    });
    try {
      const err = await failure(c.save({}, { headers: { "x-request-id": "req-42" } }));
      expect(err.code).toBe(Code.Internal);
      expect(err.rawMessage).toBe("internal error (request id req-42)");
      expect(JSON.stringify(err.metadata)).not.toContain("secret");
      const logged = s.logs.find((l) => l.msg === "internal error");
      expect(logged).toMatchObject({ request_id: "req-42", method: "spooky.ssp.v1.StreamProcessorService/Save" });
      expect(JSON.stringify(logged)).toContain("disk exploded");
    } finally {
      await s.close();
    }
  });

  it("does not trust a non-gRPC code (a Node system error is INTERNAL)", async () => {
    const { s, c } = await serverWith({
      reset: async () => {
        throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      },
    });
    try {
      expect((await failure(c.reset({}))).code).toBe(Code.Internal);
    } finally {
      await s.close();
    }
  });

  it("cuts a message too long for a trailer, keeping its code (a megabyte failed the call as INTERNAL)", async () => {
    const ids = Array.from({ length: 50_000 }, (_, i) => JSON.stringify(`unknown-view-${i}`)).join(", ");
    const { s, c } = await serverWith({
      getView: async () => {
        throw new CodedError("NOT_FOUND", `unknown view ids: ${ids}`);
      },
    });
    try {
      const err = await failure(c.getView({ id: "v" }));
      expect(err.code).toBe(Code.NotFound);
      expect(err.rawMessage).toBe(`${`unknown view ids: ${ids}`.slice(0, 1024)}… (${ids.length + 18 - 1024} more characters)`);
    } finally {
      await s.close();
    }
  });

  it("maps an error thrown in the middle of a stream", async () => {
    const { s, c } = await serverWith({
      async *watch() {
        yield { kind: "heartbeat" as const, at: 0 };
        throw new CodedError("RESOURCE_EXHAUSTED", "stream queue full at sequence 7: resume from it");
      },
    });
    try {
      const seen: string[] = [];
      const err = await failure(
        (async () => {
          for await (const m of c.watchDeltas({ viewIds: ["v"] })) seen.push(m.kind.case ?? "");
        })(),
      );
      expect(seen).toEqual(["heartbeat"]);
      expect([err.code, err.rawMessage]).toEqual([Code.ResourceExhausted, "stream queue full at sequence 7: resume from it"]);
    } finally {
      await s.close();
    }
  });

  it("answers UNIMPLEMENTED, naming the RPC, when the core lacks a capability", async () => {
    const bare = await startTestServer({
      info: () => ({ views: 0, records: 0, streams: 0, outboxPending: 0 }),
      readiness: async () => ({ ready: true, checks: {} }),
    });
    try {
      const c = sspClient(transport("grpc/2", bare.url));
      const err = await failure(c.ingest({ change: { op: Operation.DELETE, id: "a:1" } }));
      expect([err.code, err.rawMessage]).toEqual([Code.Unimplemented, "Ingest is not available: this server was started without that capability"]);
      expect((await failure(c.resyncEdges({}))).code).toBe(Code.Unimplemented);
      expect((await c.getServerInfo({})).views).toBe(0);
    } finally {
      await bare.close();
    }
  });
});

describe("request ids and the access log", () => {
  it("echoes a caller's x-request-id and logs one line per RPC with it", async () => {
    let header: string | null = null;
    await client().getServerInfo({}, { headers: { "x-request-id": "abc-123" }, onHeader: (h) => (header = h.get("x-request-id")) });
    expect(header).toBe("abc-123");
    const lines = ts.logs.filter((l) => l.msg === "rpc" && l.request_id === "abc-123");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "spooky.ssp.v1.StreamProcessorService/GetServerInfo", code: "OK" });
    expect(typeof lines[0]?.duration_ms).toBe("number");
  });

  it("generates an id when none (or a malformed one) is sent, also on errors", async () => {
    const ids: (string | null)[] = [];
    for (const headers of [{}, { "x-request-id": "bad id with spaces" }]) {
      // A gRPC error is trailers-only: its headers arrive as the error's metadata.
      ids.push((await failure(client().getView({ id: "" }, { headers }))).metadata.get("x-request-id"));
    }
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = ts.logs.find((l) => l.msg === "rpc" && l.request_id === ids[0]);
    expect(line).toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("never logs bodies or the authorization header", async () => {
    const secretive = await startTestServer(createFakeCore(), { secret: "hunter2" });
    try {
      await sspClient(transport("grpc/2", secretive.url)).ingest(
        { change: { op: Operation.CREATE, id: "user:1", record: { password: "p4ss" } } },
        { headers: { authorization: "Bearer hunter2" } },
      );
      const text = JSON.stringify(secretive.logs);
      expect(text).toContain("spooky.ssp.v1.StreamProcessorService/Ingest");
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("p4ss");
    } finally {
      await secretive.close();
    }
  });
});

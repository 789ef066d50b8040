/**
 * Hostile input against the real service (a child process, auth on): every
 * request below is refused with its exact gRPC code, through connect-es,
 * grpc-js, and raw HTTP/1.1 and HTTP/2 sockets. After each one, GetServerInfo,
 * ListViews and GetView of every view are byte-identical to before, the process
 * is still up, and its RSS stays under RSS_BOUND_BYTES.
 *
 * Adding a class of hostile input is one row in CASES (helpers in support/cases.ts).
 */
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation, RecordChangeSchema } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { MAX_UNDECLARED_TABLE_LABELS } from "../../src/telemetry/metrics.js";
import {
  DEFAULT_MAX_BATCH_CHANGES,
  MAX_CLIENT_ID_LENGTH,
  MAX_RECORD_ID_LENGTH,
  MAX_TABLE_NAME_LENGTH,
  MAX_VIEW_ID_LENGTH,
} from "../../src/server/request-limits.js";
import { parsePrometheusText } from "../telemetry/prometheus-text.js";
import { utf8, viaConnect, viaGrpcJs, viaRaw, type HostileCase } from "./support/cases.js";
import { startTarget, type Target } from "./support/target.js";

/** The server idles at about 170 MB (embedded SurrealDB and the WASM parser); no case may take it past this. */
const RSS_BOUND_BYTES = 512 * 1024 * 1024;

/** Bytes no protobuf message decodes from (field 524287, wire type 7). */
const GARBAGE = Uint8Array.from([0xff, 0xff, 0xff, 0x01, 0x02, 0x9a, 0x33]);
const MB = 1 << 20;
const deletes = (n: number) => Array.from({ length: n }, (_, i) => create(RecordChangeSchema, { op: Operation.DELETE, id: `user:${i}` }));
const deletesJs = (n: number) => Array.from({ length: n }, (_, i) => ({ op: "OPERATION_DELETE", id: `user:${i}` }));
const gzipped = gzipSync(utf8('{"changes":[]}'));
/** 64 MiB of spaces: 64 KiB on the wire, four times the message limit once inflated. */
const BOMB = gzipSync(Buffer.alloc(64 * MB, 0x20));
const { InvalidArgument } = Code;

const CASES: HostileCase[] = [
  // Requests that do not decode.
  viaRaw("random protobuf bytes", InvalidArgument, { method: "Ingest", http: "1.1", contentType: "application/proto", body: GARBAGE }),
  viaRaw("random protobuf bytes", InvalidArgument, { method: "IngestBatch", http: "2", contentType: "application/grpc", body: GARBAGE, frame: 0 }),
  viaRaw("random protobuf bytes", InvalidArgument, { method: "RegisterView", http: "1.1", contentType: "application/grpc-web+proto", body: GARBAGE, frame: 0 }),
  viaRaw("random bytes for a stream", InvalidArgument, { method: "WatchDeltas", http: "1.1", contentType: "application/connect+proto", body: GARBAGE, frame: 0 }),
  viaRaw("random bytes for a stream", InvalidArgument, { method: "WatchDeltas", http: "2", contentType: "application/grpc", body: GARBAGE, frame: 0 }),
  viaRaw("JSON sent as application/proto", InvalidArgument, { method: "Ingest", http: "2", contentType: "application/proto", body: utf8('{"change":{"op":"OPERATION_DELETE","id":"user:1"}}') }),
  viaRaw("{\"change\"} sent to IngestBatch", InvalidArgument, { method: "IngestBatch", http: "1.1", contentType: "application/json", body: utf8('{"change":{"op":"OPERATION_DELETE","id":"user:1"}}') }),
  viaRaw("an unknown JSON field", InvalidArgument, { method: "RegisterView", http: "2", contentType: "application/grpc+json", body: utf8('{"id":"users","surql":"SELECT * FROM user","paramz":{}}'), frame: 0 }),
  viaRaw("an unknown enum name", InvalidArgument, { method: "Ingest", http: "1.1", contentType: "application/json", body: utf8('{"change":{"op":"OPERATION_UPSERT","id":"user:1","record":{}}}') }),
  viaRaw("a frame flagged compressed, no encoding", InvalidArgument, { method: "Reset", http: "2", contentType: "application/grpc", body: GARBAGE, frame: 1 }),
  viaRaw("a gzip body cut short", InvalidArgument, { method: "IngestBatch", http: "1.1", contentType: "application/json", headers: { "content-encoding": "gzip" }, body: gzipped.subarray(0, gzipped.length - 6) }),
  viaRaw("a lone surrogate in a view id", InvalidArgument, { method: "UnregisterView", http: "1.1", contentType: "application/json", body: utf8('{"id":"users\\ud800"}') }),

  // The largest accepted units.
  viaConnect("a batch over the limit", InvalidArgument, (c, o) => c.ingestBatch({ changes: deletes(DEFAULT_MAX_BATCH_CHANGES + 1) }, o)),
  viaGrpcJs("a batch of 100,000 changes", InvalidArgument, "IngestBatch", { changes: deletesJs(100_000) }),
  viaConnect("a 1 MB table name", InvalidArgument, (c, o) => c.ingest({ change: { op: Operation.CREATE, id: `${"t".repeat(MB)}:1`, record: {} } }, o), "grpc/2"),
  viaGrpcJs("a 1 MB table field", InvalidArgument, "Ingest", { change: { op: "OPERATION_DELETE", id: "user:1", table: "u".repeat(MB) } }),
  viaConnect("a table name one over the limit", InvalidArgument, (c, o) => c.ingest({ change: { op: Operation.DELETE, id: `⟨${"t".repeat(MAX_TABLE_NAME_LENGTH + 1)}⟩:1` } }, o), "grpc-web/2"),
  viaConnect("a record id one over the limit", InvalidArgument, (c, o) => c.ingest({ change: { op: Operation.DELETE, id: `user:${"k".repeat(MAX_RECORD_ID_LENGTH)}` } }, o), "connect/2"),
  viaGrpcJs("a table name holding NUL", InvalidArgument, "Ingest", { change: { op: "OPERATION_CREATE", id: "⟨us\u0000er⟩:1", record: { fields: {} } } }),
  viaConnect("an empty table name", InvalidArgument, (c, o) => c.ingestBatch({ changes: [...deletes(2), { op: Operation.DELETE, id: "⟨⟩:1" }] }, o)),
  viaConnect("a client id one over the limit", InvalidArgument, (c, o) => c.registerView({ id: "x", surql: "SELECT * FROM user", clientId: "c".repeat(MAX_CLIENT_ID_LENGTH + 1) }, o)),
  viaGrpcJs("a client id one over the limit, on a stream", InvalidArgument, "WatchDeltas", { clientId: "c".repeat(MAX_CLIENT_ID_LENGTH + 1) }),
  viaGrpcJs("a stream naming 50,000 views", InvalidArgument, "WatchDeltas", { viewIds: Array.from({ length: 50_000 }, (_, i) => `unknown-view-${i}`) }),
  viaConnect("a stream naming 1,000 unknown views (a 20 KB message, cut)", Code.NotFound, (c, o) => c.watchDeltas({ viewIds: Array.from({ length: 1000 }, (_, i) => `unknown-view-${i}`) }, o), "grpc/2"),
  viaConnect("a view id one over the limit", InvalidArgument, (c, o) => c.unregisterView({ id: "v".repeat(MAX_VIEW_ID_LENGTH + 1) }, o), "grpc/2"),

  // Credentials are checked on the headers, before any byte of the body is read.
  viaRaw("a wrong token with a random body", Code.Unauthenticated, { method: "IngestBatch", http: "2", contentType: "application/grpc", headers: { authorization: "Bearer wrong" }, body: GARBAGE, frame: 0 }),
  viaRaw("a wrong token with a gzip bomb", Code.Unauthenticated, { method: "IngestBatch", http: "1.1", contentType: "application/json", headers: { authorization: "Bearer wrong", "content-encoding": "gzip" }, body: BOMB }),
  viaRaw("a gzip bomb past the message limit", Code.ResourceExhausted, { method: "IngestBatch", http: "1.1", contentType: "application/json", headers: { "content-encoding": "gzip" }, body: BOMB }),

  // Queries that used to poison the parser or blow the compiler's stack.
  viaConnect("a WHERE of 3,000 ORs", InvalidArgument, (c, o) => c.registerView({ id: "ors", surql: `SELECT * FROM user WHERE ${Array.from({ length: 3000 }, (_, i) => `n = ${i}`).join(" OR ")}` }, o)),
  viaConnect("a 100 KB query", InvalidArgument, (c, o) => c.registerView({ id: "long", surql: `SELECT * FROM user WHERE s = "${"x".repeat(100_000)}"` }, o), "grpc/2"),
  viaGrpcJs("brackets nested 5,000 deep", InvalidArgument, "RegisterView", { id: "deep", surql: `SELECT * FROM user WHERE ${"(".repeat(5000)}n = 1${")".repeat(5000)}` }),

  // Values SurrealDB or the wire formats cannot carry.
  viaGrpcJs("NaN in a record body", InvalidArgument, "Ingest", { change: { op: "OPERATION_CREATE", id: "user:9", record: { fields: { n: { numberValue: NaN } } } } }),
  viaGrpcJs("-Infinity nested in view params", InvalidArgument, "RegisterView", { id: "inf", surql: "SELECT * FROM user WHERE n > $p.x", params: { fields: { p: { structValue: { fields: { x: { numberValue: -Infinity } } } } } } }),
  viaGrpcJs("a body id naming another record", InvalidArgument, "Ingest", { change: { op: "OPERATION_CREATE", id: "user:9", record: { fields: { id: { stringValue: "user:2" } } } } }),
  viaConnect("a batch whose last body names another record", InvalidArgument, (c, o) => c.ingestBatch({ changes: [{ op: Operation.CREATE, id: "user:9", record: {} }, { op: Operation.CREATE, id: "user:10", record: { id: 11 } }] }, o)),

  // Sizes SurrealDB would refuse in the edge transaction.
  viaConnect("2 MB of view params", Code.ResourceExhausted, (c, o) => c.registerView({ id: "big", surql: "SELECT * FROM user WHERE n = $p", params: { p: "x".repeat(2 * MB) } }, o), "grpc/2"),
  viaConnect("a 2 MB record body", Code.ResourceExhausted, (c, o) => c.ingest({ change: { op: Operation.CREATE, id: "user:9", record: { s: "x".repeat(2 * MB) } } }, o)),

  // Validation that was already there, through every client.
  viaGrpcJs("Ingest without a change", InvalidArgument, "Ingest", {}),
  viaConnect("a record id that does not parse", InvalidArgument, (c, o) => c.ingest({ change: { op: Operation.DELETE, id: "no colon" } }, o)),
];

let target: Target;
beforeAll(async () => {
  target = await startTarget();
}, 60_000);
afterAll(() => target?.close());

describe("hostile input", () => {
  it.each(CASES.map((c) => [c.name, Code[c.expected], c] as const))("%s → %s, state untouched", async (_name, _code, c) => {
    const before = await target.state();
    expect(await c.send(target)).toBe(c.expected);
    expect(target.alive(), target.stderr()).toBe(true);
    expect(await target.state()).toBe(before);
    expect(target.rssBytes()).toBeLessThan(RSS_BOUND_BYTES);
  });

  it("still serves valid requests afterwards, and they do change the state", async () => {
    const before = await target.state();
    await target.client.ingest({ change: { op: Operation.UPDATE, id: "user:2", record: { age: 40 } } }, { headers: { authorization: "Bearer hostile-suite-secret" } });
    expect(await target.state()).not.toBe(before);
  });

  it("keeps /metrics bounded when valid ingests invent table after table", async () => {
    const tables = Array.from({ length: 3 * MAX_UNDECLARED_TABLE_LABELS }, (_, i) => `invented_${i}`);
    await target.client.ingestBatch(
      { changes: tables.map((t) => ({ op: Operation.CREATE, id: `${t}:1`, record: {} })) },
      { headers: { authorization: "Bearer hostile-suite-secret" } },
    );
    const text = await (await fetch(`${target.url}/metrics`)).text();
    const labels = new Set(parsePrometheusText(text).get("ssp_ingest_total")?.samples.map((s) => s.labels.table));
    // The tables the two views read, the first invented ones, and "(other)" for the rest.
    expect(labels.size).toBeLessThanOrEqual(2 + MAX_UNDECLARED_TABLE_LABELS + 1);
    expect(labels.has("(other)")).toBe(true);
    expect(Math.max(...[...labels].map((l) => l?.length ?? 0))).toBeLessThanOrEqual(256);
  });
});

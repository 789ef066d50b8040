/**
 * The largest units SSP accepts: changes per batch, id and table-name lengths,
 * and the table-name rule. Each refusal is INVALID_ARGUMENT naming the field and
 * the limit, before the core is called; the limit itself is accepted.
 */
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation, RecordChangeSchema } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import {
  DEFAULT_MAX_BATCH_CHANGES,
  MAX_CLIENT_ID_LENGTH,
  MAX_RECORD_ID_LENGTH,
  MAX_TABLE_NAME_LENGTH,
  MAX_WATCH_VIEWS,
} from "../../src/server/request-limits.js";
import { failure, sspClient, transport } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { rawRpc, SSP_PATH } from "../support/raw-rpc.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core);
});
afterAll(() => ts.close());
const client = () => sspClient(transport("grpc/2", ts.url));

const deletes = (n: number) => Array.from({ length: n }, (_, i) => create(RecordChangeSchema, { op: Operation.DELETE, id: `user:${i}` }));
const del = (id: string, table = "") => client().ingest({ change: { op: Operation.DELETE, id, table } });

describe("limits", () => {
  const cases: [string, () => Promise<unknown>, string | RegExp][] = [
    [
      "a batch over the limit",
      () => client().ingestBatch({ changes: deletes(DEFAULT_MAX_BATCH_CHANGES + 1) }),
      `changes has ${DEFAULT_MAX_BATCH_CHANGES + 1} entries; a batch holds at most ${DEFAULT_MAX_BATCH_CHANGES} (SSP_MAX_BATCH_CHANGES): split it`,
    ],
    [
      "a record id over the limit",
      () => del(`user:${"k".repeat(MAX_RECORD_ID_LENGTH)}`),
      `change.id is ${MAX_RECORD_ID_LENGTH + 5} characters long; record ids are at most ${MAX_RECORD_ID_LENGTH}`,
    ],
    [
      "a plain table name over the limit",
      () => del(`${"t".repeat(MAX_TABLE_NAME_LENGTH + 1)}:1`),
      `change.id (its table) is ${MAX_TABLE_NAME_LENGTH + 1} characters long; table names are at most ${MAX_TABLE_NAME_LENGTH}`,
    ],
    [
      "an escaped table name over the limit",
      () => del(`⟨${"a b".repeat(100)}⟩:1`),
      `change.id (its table) is 300 characters long; table names are at most ${MAX_TABLE_NAME_LENGTH}`,
    ],
    ["a table name holding NUL", () => del("⟨a\u0000b⟩:1"), /^change\.id \(its table\) contains a NUL character/],
    ["an empty escaped table name", () => del("⟨⟩:1"), "change.id (its table) must not be empty"],
    [
      "a 1 MB table field",
      () => del("user:1", "u".repeat(1 << 20)),
      `change.table is ${1 << 20} characters long; table names are at most ${MAX_TABLE_NAME_LENGTH}`,
    ],
    [
      "a bad record id inside a batch (named by index)",
      () => client().ingestBatch({ changes: [...deletes(2), create(RecordChangeSchema, { op: Operation.DELETE, id: `x:${"k".repeat(2000)}` })] }),
      /^changes\[2\]\.id is 2002 characters long/,
    ],
    [
      "a client id over the limit (RegisterView)",
      () => client().registerView({ id: "v", surql: "SELECT * FROM a", clientId: "c".repeat(MAX_CLIENT_ID_LENGTH + 1) }),
      `client_id is ${MAX_CLIENT_ID_LENGTH + 1} characters long; client ids are at most ${MAX_CLIENT_ID_LENGTH}`,
    ],
    [
      "a stream naming too many views",
      async () => {
        for await (const _ of client().watchDeltas({ viewIds: Array.from({ length: MAX_WATCH_VIEWS + 1 }, (_, i) => `v${i}`) })) break;
      },
      `view_ids has ${MAX_WATCH_VIEWS + 1} entries; a stream names at most ${MAX_WATCH_VIEWS} views: follow more by client_id`,
    ],
    [
      "a stream resuming too many views",
      async () => {
        const resumeFrom = Object.fromEntries(Array.from({ length: MAX_WATCH_VIEWS + 1 }, (_, i) => [`v${i}`, 1n]));
        for await (const _ of client().watchDeltas({ clientId: "app", resumeFrom })) break;
      },
      `resume_from has ${MAX_WATCH_VIEWS + 1} entries; a stream resumes at most ${MAX_WATCH_VIEWS} views`,
    ],
    ["a client id over the limit (ListViews)", () => client().listViews({ clientId: "c".repeat(MAX_CLIENT_ID_LENGTH + 1) }), /^client_id is 257/],
    [
      "a client id over the limit (WatchDeltas)",
      async () => {
        for await (const _ of client().watchDeltas({ clientId: "c".repeat(MAX_CLIENT_ID_LENGTH + 1) })) break;
      },
      /^client_id is 257/,
    ],
  ];

  it.each(cases)("refuses %s with INVALID_ARGUMENT, before the core", async (_label, call, message) => {
    const before = core.calls.length;
    const err = await failure(call());
    expect(err.code).toBe(Code.InvalidArgument);
    if (typeof message === "string") expect(err.rawMessage).toBe(message);
    else expect(err.rawMessage).toMatch(message);
    expect(core.calls.length).toBe(before);
  });

  it("accepts every limit itself, and tables SurrealDB can name however odd", async () => {
    const before = core.calls.length;
    await client().ingestBatch({ changes: deletes(DEFAULT_MAX_BATCH_CHANGES) });
    await del(`user:${"k".repeat(MAX_RECORD_ID_LENGTH - 5)}`);
    await del(`${"t".repeat(MAX_TABLE_NAME_LENGTH)}:1`);
    for (const id of ["⟨a b⟩:1", "`1abc`:1", "⟨日本⟩:1", "⟨a\\⟩b⟩:x", "⟨a\nb⟩:1", "⟨select⟩:1"]) await del(id);
    await client().listViews({ clientId: "c".repeat(MAX_CLIENT_ID_LENGTH) });
    expect(core.calls.length).toBe(before + 10);
  });

  it("leaves the syntax of record ids to the circuit", async () => {
    // Not a record id: the edge lets it through, and the core (the circuit) refuses it naming the change.
    await del("no colon here");
    expect(core.calls.at(-1)?.method).toBe("ingest");
  });
});

describe("Unicode that would not survive storage", () => {
  // Binary protobuf carries UTF-8, where a lone surrogate cannot exist; JSON's \u escapes can
  // write one, and protobuf's JSON decoder already refuses it for string fields. (request-limits.ts
  // checks again, for callers that do not come through the wire: see its unit test.)
  const cases: [string, string, string][] = [
    ["a record key", "Ingest", '{"change":{"op":"OPERATION_DELETE","id":"user:a\\ud800"}}'],
    ["a table name", "Ingest", '{"change":{"op":"OPERATION_DELETE","id":"⟨t\\udc00⟩:1"}}'],
    ["a view id", "GetView", '{"id":"v\\ud800"}'],
    ["a client id", "ListViews", '{"clientId":"\\udfff"}'],
  ];
  it.each(cases)("refuses a lone surrogate in %s with INVALID_ARGUMENT", async (_label, method, json) => {
    const before = core.calls.length;
    const answer = await rawRpc(ts.url, {
      path: SSP_PATH + method,
      http: "1.1",
      headers: { "content-type": "application/json" },
      body: new TextEncoder().encode(json),
    });
    expect([answer.httpStatus, answer.code]).toEqual([400, Code.InvalidArgument]);
    expect(answer.message).toMatch(/invalid UTF8/);
    expect(core.calls.length).toBe(before);
  });
});

describe("a configured batch limit", () => {
  it("is the one the server enforces", async () => {
    const smallCore = createFakeCore();
    const small = await startTestServer(smallCore, { maxBatchChanges: 3 });
    try {
      const c = sspClient(transport("connect/1.1", small.url));
      expect((await c.ingestBatch({ changes: deletes(3) })).applied).toBe(3);
      const err = await failure(c.ingestBatch({ changes: deletes(4) }));
      expect([err.code, err.rawMessage]).toEqual([
        Code.InvalidArgument,
        "changes has 4 entries; a batch holds at most 3 (SSP_MAX_BATCH_CHANGES): split it",
      ]);
      expect(smallCore.calls).toHaveLength(1);
    } finally {
      await small.close();
    }
  });
});

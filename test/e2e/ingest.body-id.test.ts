/**
 * A body's `id` field against the record's id, through the real Ingest and
 * IngestBatch RPCs, judged against SurrealDB itself (embedded, `mem://`): SSP
 * accepts exactly the body ids SurrealDB accepts for a write to that record
 * (the record id, or its bare key of the same type) and refuses the others with
 * INVALID_ARGUMENT, leaving the state untouched.
 */
import { createNodeEngines } from "@surrealdb/node";
import { Code } from "@connectrpc/connect";
import { RecordId as SdkRecordId, Surreal } from "surrealdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { parseRecordId } from "../../src/circuit/index.js";
import { failure, sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type WireId = string | number | boolean | null | { $rid: string };

let rc: RealCore;
let ts: TestServer;
let surreal: Surreal;
beforeAll(async () => {
  rc = await startRealCore({ SURREALDB_URL: "mem://" });
  ts = await startTestServer(rc.core);
  surreal = new Surreal({ engines: createNodeEngines() });
  await surreal.connect("mem://");
  await surreal.use({ namespace: "body_id", database: "body_id" });
  await surreal.query("DEFINE TABLE user SCHEMALESS; DEFINE TABLE post SCHEMALESS;").collect();
});
afterAll(async () => {
  await surreal?.close();
  await ts?.close();
  await rc?.dispose();
});
const client = () => sspClient(transport("grpc/2", ts.url));

function sdkId(text: string): SdkRecordId {
  const id = parseRecordId(text);
  return new SdkRecordId(id.table, id.key);
}

/** Whether SurrealDB takes `UPSERT <record> CONTENT { id: <bodyId>, n: 1 }`. */
async function surrealAccepts(record: string, bodyId: WireId): Promise<boolean> {
  const id = bodyId !== null && typeof bodyId === "object" ? sdkId(bodyId.$rid) : bodyId;
  try {
    await surreal.query("UPSERT $rid CONTENT $body", { rid: sdkId(record), body: { id, n: 1 } }).collect();
    return true;
  } catch (err) {
    expect(String(err)).toMatch(/for the `id` field, but a specific record has been specified/);
    return false;
  }
}

async function state(): Promise<string> {
  const info = await client().getServerInfo({});
  return JSON.stringify({ records: String(info.records), views: info.views });
}

describe("a body id is accepted exactly when SurrealDB accepts it", () => {
  const cases: [string, string, WireId, boolean][] = [
    ["the record id as a link", "user:1", { $rid: "user:1" }, true],
    ["the bare integer key", "user:1", 1, true],
    ["the bare string key", "user:abc", "abc", true],
    ["the bare string key of a digit-string key", "user:⟨7⟩", "7", true],
    ["another record of the table", "user:1", { $rid: "user:2" }, false],
    ["the same key in another table", "user:1", { $rid: "post:1" }, false],
    ["the string key form of an integer key", "user:1", { $rid: "user:⟨1⟩" }, false],
    ["the id as a plain string", "user:1", "user:1", false],
    ["another record as a plain string", "user:1", "user:2", false],
    ["another key", "user:1", 2, false],
    ["the key as a string for an integer key", "user:1", "1", false],
    ["the key as a number for a string key", "user:⟨7⟩", 7, false],
    ["null", "user:1", null, false],
    ["a boolean", "user:1", true, false],
  ];

  it.each(cases)("%s (%s, id %j): accepted = %s", async (_name, record, bodyId, accepted) => {
    expect(await surrealAccepts(record, bodyId)).toBe(accepted);
    const before = await state();
    for (const op of [Operation.CREATE, Operation.UPDATE]) {
      const ingest = client().ingest({ change: { op, id: record, record: { id: bodyId, n: 1 } as never } });
      if (accepted) {
        await ingest;
      } else {
        const err = await failure(ingest);
        expect(err.code).toBe(Code.InvalidArgument);
        expect(err.rawMessage).toMatch(new RegExp(`^change 0: the body's id .* is not the record's id ${parseRecordId(record).text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: it must be the record id`));
        expect(await state()).toBe(before);
      }
    }
    if (accepted) await client().ingest({ change: { op: Operation.DELETE, id: record } });
  });
});

describe("IngestBatch", () => {
  it("refuses a batch with one bad body id whole, naming the change, and leaves the state untouched", async () => {
    await client().registerView({ id: "users", surql: "SELECT * FROM user", clientId: "c" });
    const before = JSON.stringify(await client().getView({ id: "users" }), (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
    const infoBefore = await state();
    const err = await failure(
      client().ingestBatch({
        changes: [
          { op: Operation.CREATE, id: "user:10", record: { id: { $rid: "user:10" }, n: 1 } as never },
          { op: Operation.CREATE, id: "user:11", record: { id: { $rid: "user:2" }, n: 1 } as never },
          { op: Operation.CREATE, id: "user:12", record: { n: 1 } },
        ],
      }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(
      'change 1: the body\'s id user:2 is not the record\'s id user:11: it must be the record id ({"$rid":"user:11"}), its key (11) or absent, as SurrealDB requires',
    );
    expect(JSON.stringify(await client().getView({ id: "users" }), (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).toBe(before);
    expect(await state()).toBe(infoBefore);

    await client().ingestBatch({
      changes: [
        { op: Operation.CREATE, id: "user:10", record: { id: { $rid: "user:10" }, n: 1 } as never },
        { op: Operation.CREATE, id: "user:11", record: { id: 11, n: 1 } },
      ],
    });
    const view = await client().getView({ id: "users" });
    expect(view.members.map((m) => m.id)).toEqual(["user:10", "user:11"]);
  });
});

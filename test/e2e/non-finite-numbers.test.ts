/**
 * NaN and ±Infinity arrive through binary protobuf (a Struct's number_value is a
 * double) and, as Infinity, through JSON numbers too large for a double. SSP refuses them at the edge with
 * INVALID_ARGUMENT, so they can never reach the JSON snapshot (which would
 * restart them as `null`) or a JSON subscriber (which could not be sent them).
 * Checked against the real process on a real data dir: the state is byte-identical
 * after each refusal and after restarts from the journal and from the snapshot,
 * and a JSON WatchDeltas stream with include_records keeps streaming.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { toBinary, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { GetViewResponseSchema, ListViewsResponseSchema, Operation, type WatchDeltasResponse } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";

type Ssp = ReturnType<typeof sspClient>;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

async function start(dir: string): Promise<{ ssp: SspProcess; client: Ssp; url: string }> {
  const ssp = spawnSsp({
    SPOOKY_INSECURE_DEV: "1",
    LISTEN_ADDR: "127.0.0.1:0",
    SPOOKY_DATA_DIR: dir,
    SURREALDB_URL: "mem://",
    SAVE_DEBOUNCE_MS: "60000",
  });
  const started = await ssp.waitForLog(/^SSP listening on /, 60_000);
  const url = `http://${String(started.address)}`;
  // grpc over HTTP/2 with binary protobuf: the only way NaN can be sent.
  return { ssp, client: sspClient(transport("grpc/2", url)), url };
}

/** The observable state, as bytes: every view and the membership of `view`. */
async function state(client: Ssp, view: string): Promise<string> {
  const list = toBinary(ListViewsResponseSchema, await client.listViews({}));
  const got = toBinary(GetViewResponseSchema, await client.getView({ id: view }));
  return `${Buffer.from(list).toString("hex")}/${Buffer.from(got).toString("hex")}`;
}

async function codeOf(call: Promise<unknown>): Promise<[Code, string]> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    return [e.code, e.rawMessage];
  }
  throw new Error("the request was accepted");
}

const update = (id: string, record: JsonObject) => ({ op: Operation.UPDATE, id, record });

describe("non-finite numbers over the wire", () => {
  it("are refused with INVALID_ARGUMENT, leave the state and a JSON include_records stream untouched, across restarts", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "ssp-non-finite-"));
    dirs.push(dir);
    let { ssp, client, url } = await start(dir);
    try {
      await client.registerView({ id: "positive", surql: "SELECT * FROM item WHERE score > 0", clientId: "app" });
      for (const key of [1, 2, 3]) await client.ingest({ change: update(`item:${key}`, { score: key }) });

      const json = sspClient(createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false }));
      const abort = new AbortController();
      const stream = json.watchDeltas({ viewIds: ["positive"], includeRecords: true }, { signal: abort.signal })[Symbol.asyncIterator]();
      const first = await stream.next();
      expect(first.value?.kind.case).toBe("snapshot");

      const before = await state(client, "positive");
      const refusals = [
        await codeOf(client.ingest({ change: update("item:1", { score: Number.POSITIVE_INFINITY }) })),
        await codeOf(client.ingest({ change: update("item:4", { score: 4, tags: [1, Number.NaN] }) })),
        await codeOf(client.ingestBatch({ changes: [update("item:5", { score: 5 }), update("item:2", { score: 2, at: { x: Number.NEGATIVE_INFINITY } })] })),
        await codeOf(client.registerView({ id: "odd", surql: "SELECT * FROM item WHERE score > $min", params: { min: Number.NEGATIVE_INFINITY }, clientId: "app" })),
      ];
      expect(refusals).toEqual([
        [Code.InvalidArgument, expect.stringMatching(/^change\.record\.score is Infinity; numbers must be finite/)],
        [Code.InvalidArgument, expect.stringMatching(/^change\.record\.tags\[1\] is NaN; /)],
        [Code.InvalidArgument, expect.stringMatching(/^changes\[1\]\.record\.at\.x is -Infinity; /)],
        [Code.InvalidArgument, expect.stringMatching(/^params\.min is -Infinity; /)],
      ]);
      // JSON has no NaN, but a number too large for a double parses as Infinity.
      const overflow = await fetch(`${url}/spooky.ssp.v1.StreamProcessorService/Ingest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"change":{"op":"OPERATION_UPDATE","id":"item:3","record":{"score":1e400}}}',
      });
      expect([overflow.status, ((await overflow.json()) as { code: string }).code]).toEqual([400, "invalid_argument"]);
      expect(await state(client, "positive")).toBe(before);

      // The JSON stream saw none of it and still carries records.
      await client.ingest({ change: update("item:6", { score: 6 }) });
      const next = (await stream.next()) as IteratorResult<WatchDeltasResponse>;
      const delta = next.done === true || next.value.kind.case !== "delta" ? undefined : next.value.kind.value;
      expect([delta?.sequence, delta?.deltas.map((d) => [d.id, d.record?.score])]).toEqual([4n, [["item:6", 6]]]);
      abort.abort();
      const after = await state(client, "positive");

      // From the journal (kill -9), then from the snapshot (SIGTERM saves).
      ssp.child.kill("SIGKILL");
      await ssp.exited;
      ({ ssp, client } = await start(dir));
      expect(await state(client, "positive")).toBe(after);
      ssp.child.kill("SIGTERM");
      expect(await ssp.exited).toBe(0);
      ({ ssp, client } = await start(dir));
      expect(await state(client, "positive")).toBe(after);
    } finally {
      ssp.child.kill("SIGKILL");
      await ssp.exited;
    }
  }, 180_000);
});

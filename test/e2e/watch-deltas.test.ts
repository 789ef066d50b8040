/**
 * WatchDeltas end to end through the Connect client (gRPC over HTTP/2) against
 * the real core: snapshot then deltas, resume after a dropped connection, a
 * too-old cursor, a stalled consumer's overflow, client-id subscriptions,
 * record bodies, unregister, heartbeats and Reset. The knobs are set small
 * (replay log 4, queue 24, heartbeat 200 ms) so each behaviour shows quickly.
 */
import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Operation,
  WatchDeltasRequestSchema,
  WatchDeltasResponseSchema,
  type StreamProcessorService,
  type WatchDeltasResponse,
} from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Ssp = Client<typeof StreamProcessorService>;
type Message = WatchDeltasResponse["kind"];

const REPLAY_LOG_SIZE = 4;
const QUEUE_LIMIT = 24;
const HEARTBEAT_MS = 200;

const user = (key: number, fields: Record<string, unknown> = {}) => ({
  op: Operation.UPDATE,
  id: `user:${key}`,
  record: { name: `u${key}`, room: "a", ...fields } as never,
});

/** A stream read by hand: heartbeats are set aside unless asked for. */
interface Reader {
  /** The next message that is not a heartbeat. */
  next(): Promise<Message>;
  /** The next message, whatever it is. */
  nextAny(): Promise<Message>;
  /** How the stream ended: undefined for a clean end, else the error. */
  end(): Promise<ConnectError | undefined>;
  stop(): void;
}

function watch(client: Ssp, request: Parameters<Ssp["watchDeltas"]>[0]): Reader {
  const abort = new AbortController();
  const it = client.watchDeltas(request, { signal: abort.signal })[Symbol.asyncIterator]();
  const nextAny = async (): Promise<Message> => {
    const step = await it.next();
    if (step.done === true) throw new Error("stream ended");
    return step.value.kind;
  };
  return {
    nextAny,
    async next() {
      for (;;) {
        const message = await nextAny();
        if (message.case !== "heartbeat") return message;
      }
    },
    async end() {
      try {
        for (;;) if ((await it.next()).done === true) return undefined;
      } catch (err) {
        return ConnectError.from(err);
      }
    },
    stop: () => abort.abort(),
  };
}

/**
 * A consumer that truly stops reading: a raw HTTP/2 gRPC call whose stream is
 * paused, so no flow-control window is returned to the server (the Connect and
 * grpc-js clients buffer ahead of the application, which hides a stall).
 */
function stalledWatch(baseUrl: string, request: Parameters<Ssp["watchDeltas"]>[0]) {
  const session = http2.connect(baseUrl);
  const stream = session.request({
    ":method": "POST",
    ":path": "/spooky.ssp.v1.StreamProcessorService/WatchDeltas",
    "content-type": "application/grpc",
    te: "trailers",
  });
  const body = toBinary(WatchDeltasRequestSchema, create(WatchDeltasRequestSchema, request));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  stream.end(frame);
  stream.pause();
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once("trailers", resolve));
  return {
    async drain() {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.resume();
      const [ended] = await Promise.all([trailers, new Promise((resolve) => stream.once("end", resolve))]);
      session.close();
      const bytes = Buffer.concat(chunks);
      const messages: Message[] = [];
      for (let at = 0; at < bytes.length; ) {
        const length = bytes.readUInt32BE(at + 1);
        messages.push(fromBinary(WatchDeltasResponseSchema, bytes.subarray(at + 5, at + 5 + length)).kind);
        at += 5 + length;
      }
      return {
        messages,
        status: Number(ended["grpc-status"]),
        statusMessage: decodeURIComponent(String(ended["grpc-message"])),
        resumeFrom: ended["ssp-resume-from"],
      };
    },
  };
}

function sequenceOf(message: Message): number {
  if (message.case === "heartbeat" || message.case === undefined) throw new Error(`no sequence in ${message.case}`);
  return Number(message.value.sequence);
}

describe("WatchDeltas through the Connect client", () => {
  let real: RealCore;
  let server: TestServer;
  let client: Ssp;
  let nextKey = 1;
  const ingestUsers = async (count: number, fields: Record<string, unknown> = {}) => {
    for (let i = 0; i < count; i++) await client.ingest({ change: user(nextKey++, fields) });
  };

  beforeAll(async () => {
    real = await startRealCore({
      SSP_REPLAY_LOG_SIZE: String(REPLAY_LOG_SIZE),
      SSP_WATCH_QUEUE_LIMIT: String(QUEUE_LIMIT),
      SSP_WATCH_HEARTBEAT_MS: String(HEARTBEAT_MS),
    });
    server = await startTestServer(real.core);
    client = sspClient(transport("grpc/2", server.url));
    await client.registerView({ id: "room-a", surql: "SELECT * FROM user WHERE room = $room", params: { room: "a" }, clientId: "app" });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await real?.dispose();
  });

  it("sends a snapshot, then every delta in sequence order", async () => {
    await ingestUsers(2);
    const stream = watch(client, { viewIds: ["room-a"] });
    const snapshot = await stream.next();
    expect(snapshot.case).toBe("snapshot");
    if (snapshot.case !== "snapshot") return;
    expect(snapshot.value.reset).toBe(false);
    expect(snapshot.value.members.map((m) => m.id).sort()).toEqual(["user:1", "user:2"]);
    const start = Number(snapshot.value.sequence);

    await ingestUsers(3);
    const deltas = [await stream.next(), await stream.next(), await stream.next()];
    expect(deltas.map((d) => d.case)).toEqual(["delta", "delta", "delta"]);
    expect(deltas.map(sequenceOf)).toEqual([start + 1, start + 2, start + 3]);
    stream.stop();
  });

  it("resumes after a dropped connection with nothing missed or repeated, while ingests went on", async () => {
    const first = watch(client, { viewIds: ["room-a"] });
    const snapshot = await first.next();
    await ingestUsers(2);
    const seen = [await first.next(), await first.next()];
    const cursor = sequenceOf(seen[1]!);
    expect(cursor).toBe(sequenceOf(snapshot) + 2);
    first.stop();

    // The gap: fewer deltas than the replay log holds. The client comes back on a
    // new connection, over another protocol.
    await ingestUsers(REPLAY_LOG_SIZE - 1);
    const second = watch(sspClient(transport("connect/1.1", server.url)), { viewIds: ["room-a"], resumeFrom: { "room-a": BigInt(cursor) } });
    const missed = [];
    for (let i = 0; i < REPLAY_LOG_SIZE - 1; i++) missed.push(await second.next());
    expect(missed.map((m) => m.case)).toEqual(Array(REPLAY_LOG_SIZE - 1).fill("delta"));
    expect(missed.map(sequenceOf)).toEqual(Array.from({ length: REPLAY_LOG_SIZE - 1 }, (_, i) => cursor + 1 + i));

    // And it carries on live from there.
    await ingestUsers(1);
    expect(sequenceOf(await second.next())).toBe(cursor + REPLAY_LOG_SIZE);
    second.stop();
  });

  it("answers a cursor older than the replay log with a fresh snapshot marked reset", async () => {
    const view = await client.getView({ id: "room-a" });
    const cursor = Number(view.view!.sequence);
    await ingestUsers(REPLAY_LOG_SIZE + 2);
    const stream = watch(client, { viewIds: ["room-a"], resumeFrom: { "room-a": BigInt(cursor) } });
    const message = await stream.next();
    expect(message.case).toBe("snapshot");
    if (message.case !== "snapshot") return;
    expect(message.value.reset).toBe(true);
    expect(Number(message.value.sequence)).toBe(cursor + REPLAY_LOG_SIZE + 2);
    const now = await client.getView({ id: "room-a" });
    expect(message.value.members.map((m) => m.id)).toEqual(now.members.map((m) => m.id));
    stream.stop();
  });

  it("ends only a stalled consumer's stream with RESOURCE_EXHAUSTED and its cursor; ingest and other streams go on", async () => {
    const stalled = stalledWatch(server.url, { viewIds: ["room-a"], includeRecords: true });
    const live = watch(client, { viewIds: ["room-a"] });
    const liveSnapshot = await live.next();
    const TOTAL = 300;
    const liveSeen: number[] = [];
    const liveReading = (async () => {
      while (liveSeen.length < TOTAL) liveSeen.push(sequenceOf(await live.next()));
    })();

    // Big bodies fill the HTTP/2 flow-control windows of the stalled stream, so
    // the server stops draining its queue and the queue overflows.
    const padding = "x".repeat(8 * 1024);
    const acknowledged = await Promise.all(
      Array.from({ length: 4 }, async () => {
        let count = 0;
        for (let i = 0; i < TOTAL / 4; i++) {
          await client.ingest({ change: user(nextKey++, { padding }) });
          count++;
        }
        return count;
      }),
    );
    expect(acknowledged.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    await liveReading;
    const start = sequenceOf(liveSnapshot);
    expect(liveSeen).toEqual(Array.from({ length: TOTAL }, (_, i) => start + 1 + i));

    // The stalled client now reads what reached it, then the status.
    const { messages, status, statusMessage, resumeFrom } = await stalled.drain();
    const sequences = messages.filter((m) => m.case !== "heartbeat").map(sequenceOf);
    expect(messages[0]?.case).toBe("snapshot");
    const first = sequences[0]!;
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => first + i));
    const last = sequences.at(-1)!;
    expect(last).toBeLessThan(start + TOTAL);
    expect(status).toBe(Code.ResourceExhausted);
    // The status names exactly where to resume: the last sequence the client got.
    expect(statusMessage).toContain(`resume from {room-a=${last}}`);
    // And so does a trailer, for programs.
    expect(JSON.parse(String(resumeFrom))).toEqual({ "room-a": last });

    const resumed = watch(client, { viewIds: ["room-a"], resumeFrom: { "room-a": BigInt(last) } });
    const after = await resumed.next();
    // Far behind, past the replay log: a fresh snapshot, marked so.
    expect(after.case === "snapshot" && after.value.reset).toBe(true);
    resumed.stop();
    live.stop();
  }, 120_000);

  it("follows a client's views, including views registered after the stream opened, and no other client's", async () => {
    await client.registerView({ id: "c1-first", surql: "SELECT * FROM user WHERE name = 'u1'", clientId: "c1" });
    const stream = watch(client, { clientId: "c1" });
    const first = await stream.next();
    expect(first.case === "snapshot" && first.value.viewId).toBe("c1-first");

    await client.registerView({ id: "c2-view", surql: "SELECT * FROM user WHERE name = 'u2'", clientId: "c2" });
    await client.registerView({ id: "c1-later", surql: "SELECT * FROM user WHERE name = 'u2'", clientId: "c1" });
    const later = await stream.next();
    expect(later.case).toBe("snapshot");
    if (later.case !== "snapshot") return;
    expect(later.value.viewId).toBe("c1-later");
    expect(later.value.members.map((m) => m.id)).toEqual(["user:2"]);

    await client.ingest({ change: user(2, { age: 30 }) });
    const delta = await stream.next();
    expect(delta.case === "delta" && delta.value.viewId).toBe("c1-later");
    stream.stop();
  });

  it("carries record bodies with include_records, in snapshots and deltas", async () => {
    await client.registerView({ id: "bodies", surql: "SELECT * FROM user WHERE team = $team", params: { team: { $rid: "team:1" } }, clientId: "app" });
    await client.ingest({ change: { op: Operation.CREATE, id: "user:500", record: { name: "ada", team: { $rid: "team:1" } } as never } });
    const stream = watch(client, { viewIds: ["bodies"], includeRecords: true });
    const snapshot = await stream.next();
    expect(snapshot.case === "snapshot" && snapshot.value.records["user:500"]).toEqual({ id: { $rid: "user:500" }, name: "ada", team: { $rid: "team:1" } });

    await client.ingest({ change: { op: Operation.UPDATE, id: "user:500", record: { name: "ada l.", team: { $rid: "team:1" } } as never } });
    await client.ingest({ change: { op: Operation.DELETE, id: "user:500" } });
    const updated = await stream.next();
    const deleted = await stream.next();
    expect(updated.case === "delta" && updated.value.deltas[0]?.record).toEqual({ id: { $rid: "user:500" }, name: "ada l.", team: { $rid: "team:1" } });
    expect(deleted.case === "delta" && deleted.value.deltas[0]?.record).toBeUndefined();
    stream.stop();
  });

  it("sends a closed message when a followed view is unregistered, and ends a stream left with no view", async () => {
    await client.registerView({ id: "doomed", surql: "SELECT * FROM user WHERE name = 'u3'", clientId: "app" });
    const stream = watch(client, { viewIds: ["doomed"] });
    const snapshot = await stream.next();
    await client.unregisterView({ id: "doomed" });
    const closed = await stream.next();
    expect(closed.case).toBe("closed");
    expect(closed.case === "closed" && [closed.value.viewId, Number(closed.value.sequence)]).toEqual(["doomed", sequenceOf(snapshot)]);
    expect(await stream.end()).toBeUndefined();
  });

  it("answers NOT_FOUND for an unknown view and INVALID_ARGUMENT for nothing to watch, before streaming", async () => {
    const unknown = await watch(client, { viewIds: ["room-a", "nope"] }).end();
    expect([unknown?.code, unknown?.rawMessage]).toEqual([Code.NotFound, 'unknown view id: "nope"']);
    const nothing = await watch(client, {}).end();
    expect(nothing?.code).toBe(Code.InvalidArgument);
  });

  it("sends heartbeats on an idle stream", async () => {
    const stream = watch(client, { viewIds: ["room-a"] });
    expect((await stream.nextAny()).case).toBe("snapshot");
    const beat = await stream.nextAny();
    expect(beat.case).toBe("heartbeat");
    expect(beat.case === "heartbeat" && Number(beat.value.at?.seconds)).toBeGreaterThan(0);
    stream.stop();
  });

  it("ends every stream with ABORTED and a clear message on Reset", async () => {
    const byView = watch(client, { viewIds: ["room-a"] });
    const byClient = watch(client, { clientId: "c1" });
    await byView.next();
    await byClient.next();
    await client.reset({});
    for (const stream of [byView, byClient]) {
      const ended = await stream.end();
      expect(ended?.code).toBe(Code.Aborted);
      expect(ended?.rawMessage).toBe("the server state was reset; every view was removed");
    }
  });
});

/**
 * WatchDeltas against the real core from clients that know SSP only from
 * proto/: a stock grpc-js client (via @grpc/proto-loader) and `buf curl`. Each
 * reads the snapshot, then live deltas, then resumes after dropping the
 * connection while ingests went on, getting exactly what it missed.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { grpcJsClients } from "../support/grpc-js-clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUF = path.join(ROOT, "node_modules/.bin/buf");
const WATCH_PATH = "spooky.ssp.v1.StreamProcessorService/WatchDeltas";

/** A WatchDeltasResponse as proto-loader decodes it (oneofs: true, longs: String). */
interface GrpcJsMessage {
  kind: "snapshot" | "delta" | "closed" | "heartbeat";
  snapshot?: { viewId: string; sequence: string; members: { id: string }[]; reset: boolean };
  delta?: { viewId: string; sequence: string; deltas: { id: string; event: string }[] };
  closed?: { viewId: string; sequence: string };
}

/** Messages of a grpc-js stream, awaited one by one (heartbeats skipped). */
function grpcJsReader(call: grpc.ClientReadableStream<GrpcJsMessage>) {
  const queue: GrpcJsMessage[] = [];
  const waiting: ((m: GrpcJsMessage) => void)[] = [];
  let failure: grpc.ServiceError | undefined;
  const failed: ((e: grpc.ServiceError) => void)[] = [];
  call.on("data", (m: GrpcJsMessage) => {
    if (m.kind === "heartbeat") return;
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  call.on("error", (e: grpc.ServiceError) => {
    failure = e;
    for (const f of failed) f(e);
  });
  return {
    next: () => new Promise<GrpcJsMessage>((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiting.push(resolve))),
    error: () => new Promise<grpc.ServiceError>((resolve) => (failure ? resolve(failure) : failed.push(resolve))),
  };
}

describe("WatchDeltas from clients built on proto/ alone", () => {
  let real: RealCore;
  let server: TestServer;
  let ssp: ReturnType<typeof sspClient>;
  let key = 0;
  const ingest = () => ssp.ingest({ change: { op: Operation.UPDATE, id: `user:${++key}`, record: { room: "a" } as never } });

  beforeAll(async () => {
    real = await startRealCore({ SSP_WATCH_HEARTBEAT_MS: "60000" });
    server = await startTestServer(real.core);
    ssp = sspClient(transport("grpc/2", server.url));
    await ssp.registerView({ id: "room-a", surql: "SELECT * FROM user WHERE room = 'a'", clientId: "app" });
    await ingest();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await real?.dispose();
  });

  it("grpc-js: snapshot, deltas, resume after a dropped call with nothing missed or repeated, then Reset's status", async () => {
    const { ssp: client, health } = grpcJsClients(server.server.port);
    health.close();
    const watch = (request: object) =>
      (client as unknown as Record<string, (r: object) => grpc.ClientReadableStream<GrpcJsMessage>>).WatchDeltas!(request);
    try {
      const first = watch({ viewIds: ["room-a"] });
      const reader = grpcJsReader(first);
      const snapshot = await reader.next();
      expect(snapshot.kind).toBe("snapshot");
      const start = Number(snapshot.snapshot!.sequence);
      await ingest();
      await ingest();
      const deltas = [await reader.next(), await reader.next()];
      expect(deltas.map((d) => [d.kind, Number(d.delta!.sequence), d.delta!.deltas[0]?.event])).toEqual([
        ["delta", start + 1, "DELTA_EVENT_CREATED"],
        ["delta", start + 2, "DELTA_EVENT_CREATED"],
      ]);
      first.cancel();
      expect((await reader.error()).code).toBe(grpc.status.CANCELLED);

      await ingest();
      await ingest();
      const second = watch({ viewIds: ["room-a"], resumeFrom: { "room-a": String(start + 2) } });
      const resumed = grpcJsReader(second);
      const missed = [await resumed.next(), await resumed.next()];
      expect(missed.map((m) => [m.kind, Number(m.delta?.sequence)])).toEqual([
        ["delta", start + 3],
        ["delta", start + 4],
      ]);
      await ssp.reset({});
      const ended = await resumed.error();
      // connect-node percent-encodes grpc-message with encodeURIComponent and grpc-js
      // decodes it with decodeURI, which leaves reserved characters such as ";" encoded.
      expect([ended.code, decodeURIComponent(ended.details)]).toEqual([grpc.status.ABORTED, "the server state was reset; every view was removed"]);
      await ssp.registerView({ id: "room-a", surql: "SELECT * FROM user WHERE room = 'a'", clientId: "app" });
    } finally {
      client.close();
    }
  });

  it("buf curl: reads the snapshot and live deltas, then resumes from a cursor", async () => {
    await ingest();
    const cursor = Number((await ssp.getView({ id: "room-a" })).view!.sequence);
    const live = bufWatch(server.url, { view_ids: ["room-a"] });
    await live.waitFor(/"snapshot"/);
    await ingest();
    await live.waitFor(new RegExp(`"sequence": "${cursor + 1}"[\\s\\S]*"DELTA_EVENT_CREATED"|"DELTA_EVENT_CREATED"[\\s\\S]*"sequence": "${cursor + 1}"`));
    live.stop();

    await ingest();
    const resumed = bufWatch(server.url, { view_ids: ["room-a"], resume_from: { "room-a": String(cursor + 1) } });
    await resumed.waitFor(new RegExp(`"sequence": "${cursor + 2}"`));
    resumed.stop();
    expect(resumed.output()).not.toContain('"snapshot"');
    expect(resumed.output()).not.toContain(`"sequence": "${cursor + 1}"`);
  }, 60_000);
});

/** `buf curl` streaming WatchDeltas until stopped; its stdout accumulates. */
function bufWatch(url: string, body: object) {
  const child = spawn(
    BUF,
    ["curl", "--schema", "proto", "--protocol", "grpc", "--http2-prior-knowledge", "-d", JSON.stringify(body), `${url}/${WATCH_PATH}`],
    { cwd: ROOT },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
  return {
    output: () => out,
    async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`buf curl output never matched ${pattern}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => child.kill("SIGTERM"),
  };
}

/**
 * The transport limits as the real process reads them from the environment:
 * a WatchDeltas stream with heartbeats outlives an idle timeout several times
 * shorter than its life, while a session with no stream is sent GOAWAY; a
 * message over SSP_MAX_MESSAGE_BYTES gets RESOURCE_EXHAUSTED; the connection
 * families are on /metrics.
 */
import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { bearer, sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";

const SECRET = "limits-process-secret";
const IDLE_MS = 300;
const HEARTBEAT_MS = 100;

let ssp: SspProcess;
let url: string;
beforeAll(async () => {
  ssp = spawnSsp({
    LISTEN_ADDR: "127.0.0.1:0",
    SURREALDB_URL: "mem://",
    SPOOKY_AUTH_SECRET: SECRET,
    SSP_IDLE_TIMEOUT_MS: String(IDLE_MS),
    SSP_HEADERS_TIMEOUT_MS: "300",
    SSP_WATCH_HEARTBEAT_MS: String(HEARTBEAT_MS),
    SSP_MAX_MESSAGE_BYTES: "65536",
  });
  url = `http://${String((await ssp.waitForLog(/^SSP listening on /)).address)}`;
}, 60_000);
afterAll(async () => {
  ssp.child.kill("SIGTERM");
  await ssp.exited;
});

it("keeps a WatchDeltas stream with heartbeats open well past the idle timeout", async () => {
  const client = sspClient(transport("grpc/2", url));
  await client.registerView({ id: "all-users", surql: "SELECT * FROM user", clientId: "app" }, { headers: bearer(SECRET) });
  const abort = new AbortController();
  const stream = client.watchDeltas({ viewIds: ["all-users"] }, { headers: bearer(SECRET), signal: abort.signal });
  const started = Date.now();
  let heartbeats = 0;
  for await (const message of stream) {
    if (message.kind.case === "heartbeat") heartbeats++;
    if (Date.now() - started > IDLE_MS * 5) break;
  }
  expect(heartbeats).toBeGreaterThanOrEqual(3);
  // And the connection still serves: a delta written now reaches a new stream on it.
  await client.ingest({ change: { op: Operation.CREATE, id: "user:1", record: { name: "Ada" } } }, { headers: bearer(SECRET) });
  const again = client.watchDeltas({ viewIds: ["all-users"] }, { headers: bearer(SECRET), signal: abort.signal })[Symbol.asyncIterator]();
  const first = await again.next();
  const snapshot = first.done === true ? undefined : first.value.kind;
  expect(snapshot?.case).toBe("snapshot");
  if (snapshot?.case === "snapshot") expect(snapshot.value.members.map((m) => m.id)).toEqual(["user:1"]);
  abort.abort();
});

it("sends GOAWAY to a session that opens no stream", async () => {
  const session = http2.connect(url);
  const closed = await new Promise<{ goaway: boolean }>((resolve, reject) => {
    let goaway = false;
    session.on("goaway", () => (goaway = true));
    session.on("error", () => undefined);
    const timer = setTimeout(() => reject(new Error("session still open")), IDLE_MS + 10_000);
    session.once("close", () => {
      clearTimeout(timer);
      resolve({ goaway });
    });
  });
  expect(closed.goaway).toBe(true);
});

it("refuses a message over SSP_MAX_MESSAGE_BYTES with RESOURCE_EXHAUSTED", async () => {
  const changes = Array.from({ length: 5000 }, (_, i) => ({ op: Operation.DELETE, id: `user:${String(i).padStart(12, "0")}` }));
  const err = await sspClient(transport("grpc/2", url))
    .ingestBatch({ changes }, { headers: bearer(SECRET) })
    .then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
  expect(err?.code).toBe(Code.ResourceExhausted);
});

it("shows the connection families on /metrics", async () => {
  const text = await (await fetch(`${url}/metrics`)).text();
  expect(text).toMatch(/^ssp_connections_refused_total(\{[^}]*\})? 0$/m);
  expect(text).toMatch(/^ssp_connections_open(\{[^}]*\})? [1-9]\d*$/m);
});

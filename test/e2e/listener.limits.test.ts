/**
 * The listener's timeouts and connection limits, each from a raw socket (net or
 * node:http2): slow HTTP/1.1 headers and bodies get 408 and a closed socket,
 * silent connections are dropped, idle HTTP/2 sessions get GOAWAY while sessions
 * with an open stream (however quiet) stay, streams per connection and
 * connections in total are capped. Small limits so each case takes a second.
 */
import http2 from "node:http2";
import net from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransportLimits } from "../../src/config.js";
import { bearer, healthClient, sspClient, transport } from "../support/clients.js";
import { createFakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "limits-secret";
const LIMITS: Partial<TransportLimits> = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  idleTimeoutMs: 400,
  maxStreamsPerConnection: 2,
};
/** How long a limit may overrun on a loaded machine before the test calls it broken. */
const SLACK_MS = 5000;

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer(createFakeCore({ holdOpen: true }), { secret: SECRET, limits: LIMITS });
});
afterAll(() => ts.close());

function connect(port = ts.server.port): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything the server sent until it closed the socket; rejects if it is still open after `withinMs`. */
function untilClosed(socket: net.Socket, withinMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    const timer = setTimeout(() => reject(new Error(`socket still open after ${withinMs} ms; got ${JSON.stringify(text)}`)), withinMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes `lines` one at a time, `everyMs` apart, until the socket closes. */
async function trickle(socket: net.Socket, lines: readonly string[], everyMs: number): Promise<void> {
  for (const line of lines) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(line);
    await sleep(everyMs);
  }
}

function h2connect(): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${ts.server.port}`);
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  });
}

function sessionClosed(session: http2.ClientHttp2Session, withinMs: number): Promise<{ goaway: boolean }> {
  return new Promise((resolve, reject) => {
    let goaway = false;
    session.on("goaway", () => (goaway = true));
    session.on("error", () => undefined);
    const timer = setTimeout(() => reject(new Error(`HTTP/2 session still open after ${withinMs} ms`)), withinMs);
    session.once("close", () => {
      clearTimeout(timer);
      resolve({ goaway });
    });
  });
}

describe("HTTP/1.1", () => {
  it("answers 408 and closes a connection whose headers trickle in (slowloris)", async () => {
    const socket = await connect();
    const closed = untilClosed(socket, LIMITS.headersTimeoutMs! + SLACK_MS);
    const headers = ["GET /health/live HTTP/1.1\r\n", "Host: ssp\r\n", ...Array.from({ length: 200 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
    void trickle(socket, headers, 50);
    expect(await closed).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  });

  it("answers 408 and closes a connection whose body trickles in", async () => {
    const socket = await connect();
    const closed = untilClosed(socket, LIMITS.requestTimeoutMs! + SLACK_MS);
    // Health needs no token, and Connect reads the whole body before answering.
    const head = "POST /grpc.health.v1.Health/Check HTTP/1.1\r\nHost: ssp\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    void trickle(socket, [head, ...Array.from({ length: 1000 }, () => "x")], 50);
    expect(await closed).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  });

  it("drops a connection that sends nothing", async () => {
    const socket = await connect();
    expect(await untilClosed(socket, LIMITS.headersTimeoutMs! + SLACK_MS)).toBe("");
  });

  it("closes a keep-alive connection idle for the idle timeout, not before its first answer", async () => {
    const socket = await connect();
    const closed = untilClosed(socket, LIMITS.idleTimeoutMs! + SLACK_MS);
    socket.write("GET /health/live HTTP/1.1\r\nHost: ssp\r\n\r\n");
    const text = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(text).toContain('{"status":"live"}');
  });

  it("keeps a Connect WatchDeltas stream open past the request and idle timeouts: they bound the request, not the response", async () => {
    const abort = new AbortController();
    const client = sspClient(transport("connect/1.1", ts.url));
    const stream = client.watchDeltas({ viewIds: ["v1"] }, { headers: bearer(SECRET), signal: abort.signal })[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) expect((await stream.next()).done).toBe(false);
    const pending = stream.next();
    pending.catch(() => undefined);
    await sleep(LIMITS.requestTimeoutMs! * 3);
    expect(await Promise.race([pending.then(() => "ended", () => "failed"), sleep(0).then(() => "open")])).toBe("open");
    abort.abort();
  });
});

describe("HTTP/2", () => {
  it("announces the per-connection stream limit", async () => {
    const session = await h2connect();
    await new Promise((resolve) => (session.remoteSettings.maxConcurrentStreams === 2 ? resolve(undefined) : session.once("remoteSettings", resolve)));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(2);
    session.destroy();
  });

  it("refuses a stream beyond the per-connection limit with REFUSED_STREAM", async () => {
    // Opened before the server's SETTINGS arrive, so the client cannot hold the third back itself.
    const session = http2.connect(`http://127.0.0.1:${ts.server.port}`);
    session.on("error", () => undefined);
    const watch = () => {
      const stream = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Watch", "content-type": "application/grpc" });
      stream.end(Buffer.from([0, 0, 0, 0, 0]));
      stream.on("error", () => undefined);
      return new Promise<string>((resolve) => {
        stream.once("response", () => resolve("answered"));
        stream.once("close", () => resolve(`reset ${stream.rstCode}`));
      });
    };
    const outcomes = await Promise.all([watch(), watch(), watch()]);
    expect(outcomes).toEqual(["answered", "answered", `reset ${http2.constants.NGHTTP2_REFUSED_STREAM}`]);
    session.destroy();
  });

  it("sends GOAWAY to a session with no stream for the idle timeout", async () => {
    const session = await h2connect();
    expect(await sessionClosed(session, LIMITS.idleTimeoutMs! + SLACK_MS)).toEqual({ goaway: true });
  });

  it("keeps a session whose WatchDeltas stream is quiet past the idle timeout, and closes it once the stream ends", async () => {
    const client = sspClient(transport("grpc/2", ts.url));
    const abort = new AbortController();
    const stream = client.watchDeltas({ viewIds: ["v1"] }, { headers: bearer(SECRET), signal: abort.signal })[Symbol.asyncIterator]();
    // The fake core sends a snapshot, a delta and a heartbeat, then holds the stream open and silent.
    for (let i = 0; i < 3; i++) expect((await stream.next()).done).toBe(false);
    const pending = stream.next();
    pending.catch(() => undefined);
    await sleep(LIMITS.idleTimeoutMs! * 3);
    expect(await Promise.race([pending.then(() => "ended", () => "failed"), sleep(0).then(() => "open")])).toBe("open");
    expect(ts.server.connections()).toBe(1);
    abort.abort();
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled });
    const deadline = Date.now() + LIMITS.idleTimeoutMs! + SLACK_MS;
    while (ts.server.connections() > 0 && Date.now() < deadline) await sleep(50);
    expect(ts.server.connections()).toBe(0);
  });

  it("resets a stream whose request never finishes arriving", async () => {
    const session = await h2connect();
    // Health needs no token, and Check waits for its request message: send headers, then nothing.
    const stream = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc" });
    stream.on("error", () => undefined);
    const code = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("stream still open")), LIMITS.requestTimeoutMs! + SLACK_MS);
      stream.once("close", () => {
        clearTimeout(timer);
        resolve(stream.rstCode ?? -1);
      });
    });
    expect(code).toBe(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
  });
});

describe("connection cap", () => {
  it("closes connections beyond the cap at once, counts them, and accepts again when one closes", async () => {
    let refused = 0;
    const capped = await startTestServer(createFakeCore(), {
      limits: { maxConnections: 3 },
      server: { onConnectionRefused: () => void refused++ },
    });
    try {
      const open = await Promise.all([1, 2, 3].map(() => connect(capped.server.port)));
      const extra = await connect(capped.server.port);
      expect(await untilClosed(extra, SLACK_MS)).toBe("");
      expect(refused).toBe(1);
      expect(capped.server.connections()).toBe(3);
      open[0]!.destroy();
      const deadline = Date.now() + SLACK_MS;
      while (capped.server.connections() > 2 && Date.now() < deadline) await sleep(20);
      const res = await fetch(`${capped.url}/health/live`);
      expect(res.status).toBe(200);
      expect(refused).toBe(1);
      for (const s of open) s.destroy();
    } finally {
      await capped.close();
    }
  });
});

describe("health watchers", () => {
  it("refuses a Watch beyond the cap with RESOURCE_EXHAUSTED, and accepts one again when a watcher leaves", async () => {
    let readinessCalls = 0;
    const core = createFakeCore();
    const readiness = core.readiness.bind(core);
    core.readiness = () => {
      readinessCalls++;
      return readiness();
    };
    const capped = await startTestServer(core, { limits: { maxHealthWatchers: 3 }, server: { healthWatchIntervalMs: 50 } });
    try {
      const health = healthClient(transport("grpc/2", capped.url));
      const watchers = [1, 2, 3].map(() => {
        const abort = new AbortController();
        const it = health.watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
        return { abort, it };
      });
      for (const w of watchers) expect((await w.it.next()).done).toBe(false);

      // One shared poll: over ~10 intervals, three watchers cost about 10 readiness calls, not 30.
      const before = readinessCalls;
      await sleep(500);
      expect(readinessCalls - before).toBeLessThanOrEqual(15);

      const fourth = await health
        .watch({ service: "" })
        [Symbol.asyncIterator]()
        .next()
        .then(
          () => undefined,
          (e: unknown) => ConnectError.from(e),
        );
      expect(fourth?.code).toBe(Code.ResourceExhausted);
      expect(fourth?.rawMessage).toContain("SSP_MAX_HEALTH_WATCHERS");

      watchers[0]!.abort.abort();
      await watchers[0]!.it.next().catch(() => undefined);
      // The server sees the cancellation a moment later; until then the slot is still taken.
      const again = new AbortController();
      let admitted = false;
      for (const deadline = Date.now() + SLACK_MS; !admitted && Date.now() < deadline; await sleep(50)) {
        admitted = await health
          .watch({ service: "" }, { signal: again.signal })
          [Symbol.asyncIterator]()
          .next()
          .then(
            () => true,
            () => false,
          );
      }
      expect(admitted).toBe(true);
      again.abort();
      for (const w of watchers) w.abort.abort();
    } finally {
      await capped.close();
    }
  });
});

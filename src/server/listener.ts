/**
 * One port, every protocol. Node's cleartext HTTP/2 server cannot fall back to
 * HTTP/1.1 (that needs TLS ALPN), so a plain `net` server reads each
 * connection's first bytes: the HTTP/2 client preface goes to an HTTP/2 server,
 * anything else to an HTTP/1.1 server, both with the same request handler. The
 * peeked bytes are put back before the chosen server sees the socket.
 *
 * Shutdown: stop accepting connections, mark HTTP/1.1 responses `Connection:
 * close`, wait for in-flight requests (bounded), then send HTTP/2 GOAWAY, let
 * the last bytes flush and close what is left.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "pino";
import type { HttpRequest, HttpResponse } from "./http-routes.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that sends nothing this long is dropped before it is routed. */
const SNIFF_TIMEOUT_MS = 10_000;
/** How long drained HTTP/2 sessions get to flush and close before they are cut. */
const SESSION_GRACE_MS = 500;
/** Time for HTTP/2 frames already queued to reach the socket. */
const FRAME_FLUSH_MS = 20;
/** How long closing sockets get to flush their last bytes. */
const SOCKET_FLUSH_MS = 200;

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: (req: HttpRequest, res: HttpResponse) => void;
  readonly logger: Logger;
}

export interface Listener {
  /** The bound address (port resolved when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** Requests being served now. */
  inFlight(): number;
  /** Stops accepting and drains; after `timeoutMs`, closes whatever is still open. */
  close(timeoutMs: number): Promise<{ drained: boolean }>;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  let inFlight = 0;
  let draining = false;
  let onIdle: (() => void) | undefined;

  const track = (req: HttpRequest, res: HttpResponse): void => {
    inFlight++;
    // For HTTP/2, the stream's own close: the compat response may close before
    // its trailers are written.
    const done = "stream" in res ? res.stream : res;
    done.once("close", () => {
      inFlight--;
      if (inFlight === 0) onIdle?.();
    });
    // While draining, an HTTP/1.1 keep-alive connection closes after its response.
    if (draining && req.httpVersionMajor === 1) (res as http.ServerResponse).shouldKeepAlive = false;
    options.handler(req, res);
  };

  const h1 = http.createServer(track);
  const h2 = http2.createServer(track);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const sniffing = new Set<net.Socket>();

  /** Every accepted socket: an HTTP/2 session that is destroyed may leave its socket open. */
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    sniffing.add(socket);
    let peeked: Buffer = Buffer.alloc(0);
    const onError = (err: Error) => options.logger.debug({ err }, "connection error before routing");
    const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      peeked = peeked.length === 0 ? chunk : Buffer.concat([peeked, chunk]);
      const n = Math.min(peeked.length, PREFACE.length);
      const looksLikeH2 = peeked.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (looksLikeH2 && peeked.length < PREFACE.length) return; // need more bytes to decide
      clearTimeout(timer);
      sniffing.delete(socket);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.pause();
      socket.unshift(peeked);
      if (looksLikeH2) {
        // The HTTP/2 session reads the buffered bytes itself and then takes over the
        // socket's handle; resuming here would hand the preface to no one.
        h2.emit("connection", socket);
      } else {
        // The HTTP/1.1 parser listens for 'data' and expects a flowing socket.
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.once("close", () => {
      clearTimeout(timer);
      sniffing.delete(socket);
      sockets.delete(socket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // After a successful listen, an error (e.g. EMFILE on accept) is logged, not fatal.
  server.on("error", (err) => options.logger.error({ err }, "listener error"));
  const address = server.address() as net.AddressInfo;

  return {
    host: address.address,
    port: address.port,
    inFlight: () => inFlight,
    async close(timeoutMs) {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sniffing) socket.destroy();
      const drained = await waitUntil(() => inFlight === 0, timeoutMs, (cb) => (onIdle = cb));
      // A stream's 'close' fires before nghttp2 writes its last frames (the gRPC
      // trailers) on a later turn of the event loop: give them that turn. Only
      // then GOAWAY: clients cancel streams that are still open when it arrives.
      await sleep(FRAME_FLUSH_MS);
      for (const session of sessions) session.close();
      await Promise.race([
        Promise.all([...sessions].map((s) => new Promise((resolve) => (s.closed ? resolve(undefined) : s.once("close", resolve))))),
        sleep(Math.max(0, Math.min(deadline - Date.now(), SESSION_GRACE_MS))),
      ]);
      for (const session of sessions) session.destroy();
      // end() first so buffered bytes go out; whatever does not finish is cut.
      await Promise.race([
        Promise.all([...sockets].map((s) => new Promise((resolve) => (s.once("close", resolve), s.end())))),
        sleep(SOCKET_FLUSH_MS),
      ]);
      for (const socket of sockets) socket.destroy();
      await stopped;
      return { drained };
    },
  };
}

/** Resolves true once `done()` holds (re-checked when `subscribe`'s callback fires), false on timeout. */
function waitUntil(done: () => boolean, timeoutMs: number, subscribe: (cb: () => void) => void): Promise<boolean> {
  if (done()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    subscribe(() => {
      if (!done()) return;
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

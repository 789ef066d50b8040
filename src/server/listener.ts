/**
 * One port, every protocol. Node's cleartext HTTP/2 server cannot fall back to
 * HTTP/1.1 (that needs TLS ALPN), so a plain `net` server reads each
 * connection's first bytes: the HTTP/2 client preface goes to an HTTP/2 server,
 * anything else to an HTTP/1.1 server, both with the same request handler. The
 * peeked bytes are put back before the chosen server sees the socket.
 *
 * Limits (README, "Limits"), each enforced here because neither server ever
 * listens itself:
 * - connections: the `net` server's `maxConnections` closes any connection
 *   beyond the cap as soon as it is accepted (reported to `onConnectionRefused`);
 * - a connection must send its first bytes within the header timeout;
 * - HTTP/1.1: Node's `headersTimeout` and `requestTimeout` live in a
 *   connections list that `http.Server` creates, together with the timer that
 *   checks it every `connectionsCheckingInterval`, on its own 'listening'
 *   event. A server handed sockets through 'connection' never gets that event,
 *   so its parsers are not tracked and the timeouts never fire: the listener
 *   emits 'listening' on it once. Expired requests get `408` and the socket
 *   closes. Between requests, `keepAliveTimeout` is the idle timeout;
 * - HTTP/2: SETTINGS_MAX_CONCURRENT_STREAMS per connection; a stream whose
 *   request has not fully arrived within the request timeout is reset
 *   (CANCEL) — right while every RPC but reflection has a unary request; a
 *   reflection stream (bidi) is short-lived, and this bounds how long a
 *   client may hold one open; a session with no open stream for the idle timeout is closed
 *   with GOAWAY. A session with an open stream is never idle, however quiet
 *   the stream: WatchDeltas streams live as long as their subscribers.
 *
 * Shutdown: stop accepting connections, mark HTTP/1.1 responses `Connection:
 * close`, wait for in-flight requests (bounded), then send HTTP/2 GOAWAY, let
 * the last bytes flush and close what is left.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "pino";
import type { TransportLimits } from "../config.js";
import type { HttpRequest, HttpResponse } from "./http-routes.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
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
  readonly limits: Pick<
    TransportLimits,
    "headersTimeoutMs" | "requestTimeoutMs" | "idleTimeoutMs" | "maxConnections" | "maxStreamsPerConnection"
  >;
  /** A connection closed at accept because `maxConnections` were open. */
  readonly onConnectionRefused?: () => void;
}

export interface Listener {
  /** The bound address (port resolved when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** Requests being served now. */
  inFlight(): number;
  /** Open connections. */
  connections(): number;
  /** Stops accepting and drains; after `timeoutMs`, closes whatever is still open. */
  close(timeoutMs: number): Promise<{ drained: boolean }>;
}

export async function listen(options: ListenOptions): Promise<Listener> {
  const { limits } = options;
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
    if ("stream" in res) resetIfRequestIncomplete(req as http2.Http2ServerRequest, res.stream, limits.requestTimeoutMs);
    options.handler(req, res);
  };

  const h1 = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      // Node's default (30 s) would let a timeout overrun by that much.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    track,
  );
  // Creates the connections list and its checking timer (unref'd); see the header.
  h1.emit("listening");
  const h2 = http2.createServer({ settings: { maxConcurrentStreams: limits.maxStreamsPerConnection } }, track);
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    closeWhenIdle(session, limits.idleTimeoutMs);
  });
  const sniffing = new Set<net.Socket>();

  /** Every accepted socket: an HTTP/2 session that is destroyed may leave its socket open. */
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    sniffing.add(socket);
    let peeked: Buffer = Buffer.alloc(0);
    const onError = (err: Error) => options.logger.debug({ err }, "connection error before routing");
    const timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
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
  // Beyond the cap, Node closes the accepted socket at once and emits 'drop'.
  server.maxConnections = limits.maxConnections;
  server.on("drop", () => options.onConnectionRefused?.());

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
    connections: () => sockets.size,
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
      // Stops the HTTP/1.1 connections-checking timer.
      h1.close();
      await stopped;
      return { drained };
    },
  };
}

/**
 * Closes the session (GOAWAY) once it has had no open stream for `idleMs`.
 * Counting streams, not bytes: a quiet stream keeps its session, and pings
 * alone do not.
 */
function closeWhenIdle(session: http2.ServerHttp2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      if (open === 0 && !session.closed && !session.destroyed) session.close();
    }, idleMs);
    timer.unref();
  };
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      open--;
      if (open === 0) arm();
    });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}

/**
 * HTTP/2's counterpart of HTTP/1.1's request timeout: a stream whose request
 * body has not ended within `timeoutMs` (a client trickling or withholding it)
 * is reset with CANCEL. Streams that are answered, or whose request is in,
 * clear the timer.
 */
function resetIfRequestIncomplete(req: http2.Http2ServerRequest, stream: http2.ServerHttp2Stream, timeoutMs: number): void {
  if (req.complete) return;
  const timer = setTimeout(() => {
    if (!req.complete && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
  }, timeoutMs);
  timer.unref();
  const clear = () => clearTimeout(timer);
  req.once("end", clear);
  stream.once("close", clear);
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

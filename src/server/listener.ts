/**
 * One port, every protocol. Node's cleartext HTTP/2 server cannot fall back to
 * HTTP/1.1 (that needs TLS ALPN), so a plain `net` server reads each
 * connection's first bytes: the HTTP/2 client preface goes to an HTTP/2 server,
 * anything else to an HTTP/1.1 server, both with the same request handler. The
 * peeked bytes are put back before the chosen server sees the socket.
 *
 * Shutdown: stop accepting, send HTTP/2 GOAWAY, mark HTTP/1.1 responses
 * `Connection: close`, wait for in-flight requests (bounded), then close what is left.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "pino";
import type { HttpRequest, HttpResponse } from "./http-routes.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** A connection that sends nothing this long is dropped before it is routed. */
const SNIFF_TIMEOUT_MS = 10_000;

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
    res.once("close", () => {
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
  const h1Sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
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
        h1Sockets.add(socket);
        socket.once("close", () => h1Sockets.delete(socket));
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.once("close", () => {
      clearTimeout(timer);
      sniffing.delete(socket);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  return {
    host: address.address,
    port: address.port,
    inFlight: () => inFlight,
    async close(timeoutMs) {
      draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sniffing) socket.destroy();
      for (const session of sessions) session.close(); // GOAWAY: open streams may finish
      const drained = await waitUntil(() => inFlight === 0, timeoutMs, (cb) => (onIdle = cb));
      for (const socket of h1Sockets) socket.destroy();
      for (const session of sessions) session.destroy();
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

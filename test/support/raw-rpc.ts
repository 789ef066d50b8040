/**
 * RPCs sent as raw bytes over node:http (HTTP/1.1) or node:http2 (cleartext,
 * prior knowledge), so tests can send what no well-behaved client would: bytes
 * that do not decode, a body that disagrees with its content type, odd headers.
 * The answer is read back into a gRPC code whatever the protocol: the HTTP
 * status and JSON error of Connect unary, the end-stream frame of Connect
 * streams, gRPC's grpc-status header or trailer, gRPC-Web's trailer frame.
 */
import http from "node:http";
import http2 from "node:http2";
import { Code } from "@connectrpc/connect";

export type HttpVersion = "1.1" | "2";

export interface RawRequest {
  readonly path: string;
  readonly http: HttpVersion;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly method?: string;
  /**
   * Gives up on the answer after this long and reports what arrived so far with
   * `open: true` (a stream that is still running); default 10 s.
   */
  readonly waitMs?: number;
}

export interface RawAnswer {
  readonly httpStatus: number;
  /** The gRPC code the answer carries (OK, 0, for success); undefined when it carries none (e.g. a bare 404 or 415). */
  readonly code: number | undefined;
  readonly message: string;
  readonly body: Buffer;
  /** The answer had not ended after `waitMs` (a stream still open, or a server that did not answer). */
  readonly open: boolean;
}

export const OK = 0;

export const SSP_PATH = "/spooky.ssp.v1.StreamProcessorService/";

/** A gRPC / gRPC-Web / Connect-streaming frame: flags, big-endian length, payload. */
export function envelope(payload: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

const CODE_NAMES: ReadonlyMap<string, Code> = new Map(
  Object.entries(Code)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [k.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c : `_${c}`)).toLowerCase(), v as Code]),
);

export async function rawRpc(baseUrl: string, req: RawRequest): Promise<RawAnswer> {
  const received = req.http === "2" ? await sendH2(baseUrl, req) : await sendH1(baseUrl, req);
  return { ...interpret(received), body: received.body, open: received.open };
}

function interpret({ status, headers, trailers, body }: Received): Omit<RawAnswer, "body" | "open"> {
  const grpcStatus = trailers["grpc-status"] ?? headers["grpc-status"];
  if (grpcStatus !== undefined) {
    const message = trailers["grpc-message"] ?? headers["grpc-message"] ?? "";
    return { httpStatus: status, code: Number(grpcStatus), message: safeDecode(String(message)) };
  }
  const contentType = String(headers["content-type"] ?? "");
  if (contentType.startsWith("application/grpc-web")) return { httpStatus: status, ...grpcWebTrailer(body) };
  if (contentType.startsWith("application/connect+")) return { httpStatus: status, ...connectEndStream(body) };
  if (contentType.startsWith("application/json") && status !== 200) {
    const error = JSON.parse(body.toString("utf8")) as { code?: string; message?: string };
    return { httpStatus: status, code: CODE_NAMES.get(error.code ?? ""), message: error.message ?? "" };
  }
  return { httpStatus: status, code: status === 200 ? OK : undefined, message: "" };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface Received {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
  open: boolean;
}

function sendH1(baseUrl: string, req: RawRequest): Promise<Received> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let response: http.IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    const done = (open: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        status: response?.statusCode ?? 0,
        headers: response?.headers ?? {},
        trailers: response?.trailers ?? {},
        body: Buffer.concat(chunks),
        open,
      });
      if (open) r.destroy();
    };
    const timer = setTimeout(() => done(true), req.waitMs ?? 10_000);
    const r = http.request(new URL(req.path, baseUrl), { method: req.method ?? "POST", headers: req.headers, agent: false }, (res) => {
      response = res;
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => done(false));
    });
    r.on("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    });
    r.end(req.body);
  });
}

function sendH2(baseUrl: string, req: RawRequest): Promise<Received> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", (err) => (settled ? undefined : reject(err)));
    const stream = session.request({ ":method": req.method ?? "POST", ":path": req.path, ...req.headers });
    let headers: Record<string, string | string[] | undefined> = {};
    let trailers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => (headers = h as typeof headers));
    stream.on("trailers", (t) => (trailers = t as typeof trailers));
    stream.on("data", (d: Buffer) => chunks.push(d));
    let settled = false;
    const done = (open: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status: Number(headers[":status"] ?? 0), headers, trailers, body: Buffer.concat(chunks), open });
      if (open) session.destroy();
      else session.close();
    };
    const timer = setTimeout(() => done(true), req.waitMs ?? 10_000);
    stream.on("end", () => done(false));
    stream.on("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      reject(err);
    });
    stream.end(req.body);
  });
}

function* frames(body: Buffer): Generator<{ flags: number; payload: Buffer }> {
  let at = 0;
  while (at + 5 <= body.length) {
    const length = body.readUInt32BE(at + 1);
    yield { flags: body[at]!, payload: body.subarray(at + 5, at + 5 + length) };
    at += 5 + length;
  }
}

function grpcWebTrailer(body: Buffer): { code: number | undefined; message: string } {
  for (const { flags, payload } of frames(body)) {
    if ((flags & 0x80) === 0) continue;
    const fields = new Map(
      payload
        .toString("utf8")
        .split("\r\n")
        .filter((l) => l.includes(":"))
        .map((l) => [l.slice(0, l.indexOf(":")).trim().toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
    );
    const status = fields.get("grpc-status");
    return { code: status === undefined ? undefined : Number(status), message: decodeURIComponent(fields.get("grpc-message") ?? "") };
  }
  return { code: undefined, message: "" };
}

function connectEndStream(body: Buffer): { code: number | undefined; message: string } {
  for (const { flags, payload } of frames(body)) {
    if ((flags & 0x02) === 0) continue;
    const end = JSON.parse(payload.toString("utf8")) as { error?: { code?: string; message?: string } };
    if (end.error === undefined) return { code: OK, message: "" };
    return { code: CODE_NAMES.get(end.error.code ?? ""), message: end.error.message ?? "" };
  }
  return { code: undefined, message: "" };
}

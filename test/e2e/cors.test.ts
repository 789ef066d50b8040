/**
 * CORS (SSP_CORS_ORIGINS) on the wire, over HTTP/1.1 and HTTP/2: a preflight
 * from an allowed origin is answered before auth (it carries no credential);
 * actual responses to an allowed origin, errors included, carry the origin and
 * expose the gRPC status headers and the request id; an origin not on the list
 * gets no CORS header at all; with no list, nothing changes.
 */
import http from "node:http";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORS_MAX_AGE_S } from "../../src/server/cors.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "cors-secret";
const ALLOWED = "http://app.example:5173";
const OTHER = "http://evil.example";
const GET_SERVER_INFO = "/spooky.ssp.v1.StreamProcessorService/GetServerInfo";
type Headers = Record<string, string | string[] | undefined>;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
}

let core: FakeCore;
let ts: TestServer;
let plain: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { secret: SECRET, corsOrigins: [ALLOWED, "https://other-allowed.example"] });
  plain = await startTestServer(core, { secret: SECRET });
});
afterAll(async () => {
  await ts?.close();
  await plain?.close();
});

function send(version: "1.1" | "2", baseUrl: string, method: string, headers: Record<string, string>, body = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (version === "1.1") {
      const req = http.request(new URL(GET_SERVER_INFO, baseUrl), { method, headers, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on("error", reject);
      req.end(body);
      return;
    }
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": method, ":path": GET_SERVER_INFO, ...headers });
    stream.on("response", (h) => {
      stream.resume();
      stream.on("end", () => {
        session.close();
        resolve({ status: Number(h[":status"]), headers: h as Headers });
      });
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

const preflight = (origin: string) => ({
  origin,
  "access-control-request-method": "POST",
  "access-control-request-headers": "authorization, content-type, connect-protocol-version",
});
const connectCall = (origin: string, credential?: string) => ({
  origin,
  "content-type": "application/json",
  "connect-protocol-version": "1",
  ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
});
const list = (value: string | string[] | undefined): string[] => String(value ?? "").split(",").map((s) => s.trim().toLowerCase()).filter((s) => s !== "");
const corsHeaders = (headers: Headers): string[] => Object.keys(headers).filter((name) => name.startsWith("access-control-"));

describe.each(["1.1", "2"] as const)("CORS over HTTP/%s", (version) => {
  it("answers a preflight from an allowed origin without a credential, before auth", async () => {
    const logLines = ts.logs.length;
    const calls = core.calls.length;
    const answer = await send(version, ts.url, "OPTIONS", preflight(ALLOWED));
    expect(answer.status).toBe(204);
    expect(answer.headers["access-control-allow-origin"]).toBe(ALLOWED);
    expect(list(answer.headers["access-control-allow-methods"])).toEqual(expect.arrayContaining(["post", "get"]));
    expect(list(answer.headers["access-control-allow-headers"])).toEqual(
      expect.arrayContaining(["authorization", "content-type", "connect-protocol-version", "connect-timeout-ms", "x-grpc-web", "x-request-id"]),
    );
    expect(answer.headers["access-control-max-age"]).toBe(String(CORS_MAX_AGE_S));
    expect(answer.headers["access-control-allow-credentials"]).toBeUndefined();
    expect(list(answer.headers.vary)).toContain("origin");
    // Neither the gate (it would log an UNAUTHENTICATED rpc line) nor the core saw it.
    expect(ts.logs.slice(logLines).filter((line) => line.msg === "rpc")).toEqual([]);
    expect(core.calls.length).toBe(calls);
  });

  it("gives a preflight from any other origin, or none, no CORS header", async () => {
    for (const origin of [OTHER, "null", `${ALLOWED}/`, ALLOWED.toUpperCase()]) {
      const answer = await send(version, ts.url, "OPTIONS", preflight(origin));
      expect(answer.status, origin).toBe(403);
      expect(corsHeaders(answer.headers), origin).toEqual([]);
    }
  });

  it("lets an allowed origin read answers, errors included, with the status headers and request id exposed", async () => {
    for (const [credential, status] of [
      [SECRET, 200],
      [undefined, 401],
      ["wrong", 401],
    ] as const) {
      const answer = await send(version, ts.url, "POST", connectCall(ALLOWED, credential), "{}");
      expect(answer.status).toBe(status);
      expect(answer.headers["access-control-allow-origin"]).toBe(ALLOWED);
      expect(list(answer.headers["access-control-expose-headers"])).toEqual(
        expect.arrayContaining(["grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id"]),
      );
      expect(answer.headers["x-request-id"]).toEqual(expect.any(String));
      expect(list(answer.headers.vary)).toContain("origin");
    }
  });

  it("serves another origin's actual request as before, with no CORS header, so its page cannot read it", async () => {
    expect(await send(version, ts.url, "POST", connectCall(OTHER, SECRET), "{}")).toMatchObject({ status: 200 });
    const refused = await send(version, ts.url, "POST", connectCall(OTHER), "{}");
    expect(refused.status).toBe(401);
    expect(corsHeaders(refused.headers)).toEqual([]);
  });

  it("adds nothing when SSP_CORS_ORIGINS is empty", async () => {
    const pre = await send(version, plain.url, "OPTIONS", preflight(ALLOWED));
    expect(pre.status).not.toBe(204);
    expect(corsHeaders(pre.headers)).toEqual([]);
    const call = await send(version, plain.url, "POST", connectCall(ALLOWED, SECRET), "{}");
    expect(call.status).toBe(200);
    expect(corsHeaders(call.headers)).toEqual([]);
    expect(call.headers.vary).toBeUndefined();
  });
});

/**
 * Every RPC under every kind of credential, through the Connect client (gRPC
 * over HTTP/2 and Connect over HTTP/1.1), grpc-js and buf curl, against the
 * real core: no credential, a wrong secret, an expired token, a wrong algorithm
 * (`alg: none`, HS256 keyed with the public key's text) → UNAUTHENTICATED; a
 * subscriber token for another client → PERMISSION_DENIED; a valid subscriber
 * token → only WatchDeltas, GetView and ListViews of its client; the service
 * secret → everything. A refused call leaves the state exactly as it was, and
 * a refused WatchDeltas sends nothing.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Operation, type StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { createSubscriberTokenVerifier } from "../../src/auth/index.js";
import { bearer, sspClient, transport } from "../support/clients.js";
import { grpcJsClients, type GenericClient } from "../support/grpc-js-clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { hs256WithPublicKeyText, makeTestKeys, unsignedToken, type TestKeys } from "../support/tokens.js";

const SECRET = "service secret for the token matrix";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SERVICE = "spooky.ssp.v1.StreamProcessorService";

type Headers = Record<string, string>;
type Ssp = Client<typeof StreamProcessorService>;

/** One call per RPC aimed at alice's views: `request` in proto JSON field names, so both clients can send it. */
interface RpcCase {
  readonly rpc: string;
  readonly request: Record<string, unknown>;
  /** Whether a subscriber token for alice may make this call. */
  readonly subscriberMay: boolean;
}

const RPCS: readonly RpcCase[] = [
  { rpc: "Ingest", request: { change: { op: Operation.DELETE, id: "user:1" } }, subscriberMay: false },
  { rpc: "IngestBatch", request: { changes: [{ op: Operation.DELETE, id: "user:2" }] }, subscriberMay: false },
  { rpc: "RegisterView", request: { id: "probe", surql: "SELECT * FROM user", clientId: "alice" }, subscriberMay: false },
  { rpc: "UnregisterView", request: { id: "alice-v" }, subscriberMay: false },
  { rpc: "Reset", request: {}, subscriberMay: false },
  { rpc: "GetView", request: { id: "alice-v" }, subscriberMay: true },
  { rpc: "ListViews", request: { clientId: "alice" }, subscriberMay: true },
  { rpc: "WatchDeltas", request: { viewIds: ["alice-v"] }, subscriberMay: true },
  { rpc: "WatchDeltas", request: { clientId: "alice" }, subscriberMay: true },
  { rpc: "Save", request: {}, subscriberMay: false },
  { rpc: "GetServerInfo", request: {}, subscriberMay: false },
  { rpc: "ResyncEdges", request: {}, subscriberMay: false },
];

type Credential = "none" | "wrong secret" | "expired" | "alg none" | "HS256 keyed with the public key" | "another client's token" | "subscriber (HS256)" | "subscriber (EdDSA)" | "subscriber (ES256)";

/** gRPC's OK, which Connect's Code enum leaves out. */
const OK = 0;
type Status = Code | typeof OK;

function expected(credential: Credential, rpc: RpcCase): Status {
  switch (credential) {
    case "another client's token":
      return Code.PermissionDenied;
    case "subscriber (HS256)":
    case "subscriber (EdDSA)":
    case "subscriber (ES256)":
      return rpc.subscriberMay ? OK : Code.PermissionDenied;
    default:
      return Code.Unauthenticated;
  }
}

let keys: TestKeys;
let real: RealCore;
let ts: TestServer;
let credentials: Record<Credential, Headers>;
let grpcJs: GenericClient;

beforeAll(async () => {
  keys = await makeTestKeys();
  real = await startRealCore();
  const subscriberTokens = await createSubscriberTokenVerifier({ hs256Secret: keys.hs256Secret, jwks: keys.jwks as never, clientClaim: "sub", clockSkewS: 30 });
  ts = await startTestServer(real.core, { secret: SECRET, server: { subscriberTokens } });
  credentials = {
    none: {},
    "wrong secret": bearer("not the service secret"),
    expired: bearer(await keys.token("alice", { ttlS: -3600 })),
    "alg none": bearer(unsignedToken("alice")),
    "HS256 keyed with the public key": bearer(await hs256WithPublicKeyText("alice", keys.publicKeyPem)),
    "another client's token": bearer(await keys.token("bob", { alg: "EdDSA" })),
    "subscriber (HS256)": bearer(await keys.token("alice")),
    "subscriber (EdDSA)": bearer(await keys.token("alice", { alg: "EdDSA" })),
    "subscriber (ES256)": bearer(await keys.token("alice", { alg: "ES256" })),
  };
  const service = sspClient(transport("grpc/2", ts.url));
  const headers = bearer(SECRET);
  await service.ingestBatch(
    { changes: [1, 2, 3].map((k) => ({ op: Operation.CREATE, id: `user:${k}`, record: { name: `u${k}` } as never })) },
    { headers },
  );
  await service.registerView({ id: "alice-v", surql: "SELECT * FROM user", clientId: "alice" }, { headers });
  await service.registerView({ id: "bob-v", surql: "SELECT * FROM user WHERE name = 'u1'", clientId: "bob" }, { headers });
  ({ ssp: grpcJs } = grpcJsClients(ts.server.port));
});
afterAll(async () => {
  grpcJs?.close();
  await ts?.close();
  await real?.dispose();
});

const codeName = (code: Status): string => (code === OK ? "OK" : Code[code]);
const json = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));

/** Everything a call could change: views, their memberships and sequences, records. */
async function fingerprint(): Promise<string> {
  const views = await Promise.all(
    (await real.core.listViews()).map(async (v) => ({ ...v, members: (await real.core.getView(v.spec.id))?.members.map((m) => `${m.id.text}@${m.version}`) })),
  );
  return json({ views, records: real.core.info().records });
}

interface Outcome {
  readonly code: Status;
  /** Stream messages received before the call ended (WatchDeltas), or the unary answer. */
  readonly received: unknown[];
}

async function viaConnect(client: Ssp, { rpc, request }: RpcCase, headers: Headers): Promise<Outcome> {
  const received: unknown[] = [];
  const method = (rpc[0]!.toLowerCase() + rpc.slice(1)) as keyof Ssp;
  try {
    if (rpc === "WatchDeltas") {
      for await (const message of client.watchDeltas(request as never, { headers })) {
        received.push(message);
        break;
      }
    } else {
      received.push(await (client[method] as (r: unknown, o: unknown) => Promise<unknown>)(request, { headers }));
    }
    return { code: OK, received };
  } catch (err) {
    return { code: ConnectError.from(err).code, received };
  }
}

function viaGrpcJs({ rpc, request }: RpcCase, headers: Headers): Promise<Outcome> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) md.set(k, v);
  const body = JSON.parse(JSON.stringify(request, (k, v: unknown) => (k === "op" ? "OPERATION_DELETE" : v))) as object;
  return new Promise((resolve) => {
    const received: unknown[] = [];
    if (rpc === "WatchDeltas") {
      const call = grpcJs.WatchDeltas!(body, md) as grpc.ClientReadableStream<unknown>;
      call.on("data", (m) => {
        received.push(m);
        call.cancel();
        resolve({ code: OK, received });
      });
      call.on("error", (e: grpc.ServiceError) => resolve({ code: e.code === grpc.status.CANCELLED ? OK : (e.code as Status), received }));
      call.on("end", () => resolve({ code: OK, received }));
      return;
    }
    grpcJs[rpc]!(body, md, (err: grpc.ServiceError | null, res: unknown) => {
      if (res !== undefined) received.push(res);
      resolve({ code: err === null ? OK : (err.code as Status), received });
    });
  });
}

const REFUSED_OR_READ_ONLY = (credential: Credential, rpc: RpcCase) => expected(credential, rpc) !== OK || rpc.subscriberMay;

describe.each(["grpc/2", "connect/1.1", "grpc-js"] as const)("through %s", (client) => {
  let connect: Ssp | undefined;
  const call = (rpc: RpcCase, headers: Headers) =>
    client === "grpc-js" ? viaGrpcJs(rpc, headers) : viaConnect((connect ??= sspClient(transport(client, ts.url))), rpc, headers);

  const credentialNames: Credential[] = [
    "none",
    "wrong secret",
    "expired",
    "alg none",
    "HS256 keyed with the public key",
    "another client's token",
    "subscriber (HS256)",
    "subscriber (EdDSA)",
    "subscriber (ES256)",
  ];
  describe.each(credentialNames)("with %s", (credential) => {
    it.each(RPCS.filter((rpc) => REFUSED_OR_READ_ONLY(credential, rpc)).map((rpc) => [`${rpc.rpc} ${JSON.stringify(rpc.request)}`, rpc] as const))(
      "%s: exact code, state unchanged",
      async (_label, rpc) => {
        const before = await fingerprint();
        const outcome = await call(rpc, credentials[credential]);
        expect(codeName(outcome.code)).toBe(codeName(expected(credential, rpc)));
        if (outcome.code !== OK && rpc.rpc === "WatchDeltas") expect(outcome.received).toEqual([]);
        expect(await fingerprint()).toBe(before);
      },
    );
  });

  it("answers a subscriber with its own client's views only", async () => {
    const headers = credentials["subscriber (EdDSA)"];
    const listed = await call({ rpc: "ListViews", request: {}, subscriberMay: true }, headers);
    expect(codeName(listed.code)).toBe("OK");
    expect(json(listed.received)).toContain("alice-v");
    expect(json(listed.received)).not.toContain("bob-v");
    const refusals = await Promise.all([
      call({ rpc: "GetView", request: { id: "bob-v" }, subscriberMay: true }, headers),
      call({ rpc: "GetView", request: { id: "no-such-view" }, subscriberMay: true }, headers),
      call({ rpc: "ListViews", request: { clientId: "bob" }, subscriberMay: true }, headers),
      call({ rpc: "WatchDeltas", request: { viewIds: ["bob-v"] }, subscriberMay: true }, headers),
      call({ rpc: "WatchDeltas", request: { viewIds: ["alice-v", "bob-v"] }, subscriberMay: true }, headers),
      call({ rpc: "WatchDeltas", request: { viewIds: ["no-such-view"] }, subscriberMay: true }, headers),
      call({ rpc: "WatchDeltas", request: { clientId: "bob" }, subscriberMay: true }, headers),
    ]);
    expect(refusals.map((r) => codeName(r.code))).toEqual(Array(7).fill("PermissionDenied"));
    for (const r of refusals.slice(3)) expect(r.received).toEqual([]);
  });
});

describe("buf curl", () => {
  function bufCurl(headers: Headers, rpc: string, body: object): Promise<{ code: number; stdout: string; stderr: string }> {
    const args = ["curl", "--schema", "proto", "--protocol", "grpc", "--http2-prior-knowledge", "-d", JSON.stringify(body)];
    for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
    args.push(`${ts.url}/${SERVICE}/${rpc}`);
    return new Promise((resolve) => {
      execFile(path.join(ROOT, "node_modules/.bin/buf"), args, { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
      });
    });
  }

  it("gets the same codes as the other clients", async () => {
    const before = await fingerprint();
    const [own, foreign, expired, reset] = await Promise.all([
      bufCurl(credentials["subscriber (HS256)"], "GetView", { id: "alice-v" }),
      bufCurl(credentials["subscriber (HS256)"], "GetView", { id: "bob-v" }),
      bufCurl(credentials.expired, "ListViews", {}),
      bufCurl(credentials["subscriber (ES256)"], "Reset", {}),
    ]);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/"id": "alice-v"/);
    expect(foreign.stderr).toMatch(/permission_denied/);
    expect(expired.stderr).toMatch(/unauthenticated/);
    expect(expired.stderr).toMatch(/subscriber token expired/);
    expect(reset.stderr).toMatch(/permission_denied/);
    expect(await fingerprint()).toBe(before);
  });
});

it("lets the service credential make every call (Reset last)", async () => {
  const client = sspClient(transport("grpc/2", ts.url));
  const codes: string[] = [];
  const order = [...RPCS.filter((r) => r.rpc !== "Reset" && r.rpc !== "UnregisterView"), RPCS.find((r) => r.rpc === "UnregisterView")!, RPCS.find((r) => r.rpc === "Reset")!];
  for (const rpc of order) codes.push(codeName((await viaConnect(client, rpc, bearer(SECRET))).code));
  expect(codes).toEqual(order.map(() => "OK"));
});

it("never writes a token to the logs", () => {
  const logged = JSON.stringify(ts.logs);
  for (const headers of Object.values(credentials)) {
    const token = headers.authorization?.replace(/^Bearer /, "");
    if (token !== undefined) expect(logged).not.toContain(token);
  }
  expect(logged).not.toContain(SECRET);
  expect(logged).toContain("subscriber token expired");
});

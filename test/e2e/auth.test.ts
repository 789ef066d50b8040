/**
 * Bearer auth on every RPC but health: missing, malformed and wrong tokens get
 * UNAUTHENTICATED before the core is touched; health needs no token.
 */
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { Operation, type StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { bearer, healthClient, sspClient, transport } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const SECRET = "correct horse battery staple";

type Headers = Record<string, string>;
/** One call per RPC, each sending `headers`. */
const RPCS: Record<string, (c: Client<typeof StreamProcessorService>, headers: Headers) => Promise<unknown>> = {
  Ingest: (c, headers) => c.ingest({ change: { op: Operation.DELETE, id: "user:1" } }, { headers }),
  IngestBatch: (c, headers) => c.ingestBatch({ changes: [] }, { headers }),
  RegisterView: (c, headers) => c.registerView({ id: "v", surql: "SELECT * FROM user" }, { headers }),
  UnregisterView: (c, headers) => c.unregisterView({ id: "v" }, { headers }),
  Reset: (c, headers) => c.reset({}, { headers }),
  GetView: (c, headers) => c.getView({ id: "v" }, { headers }),
  ListViews: (c, headers) => c.listViews({}, { headers }),
  WatchDeltas: async (c, headers) => {
    for await (const _ of c.watchDeltas({ viewIds: ["v"] }, { headers })) break;
  },
  Save: (c, headers) => c.save({}, { headers }),
  GetServerInfo: (c, headers) => c.getServerInfo({}, { headers }),
  ResyncEdges: (c, headers) => c.resyncEdges({}, { headers }),
};

const BAD_CREDENTIALS: Record<string, Headers> = {
  missing: {},
  "empty header": { authorization: "" },
  "not a bearer scheme": { authorization: `Basic ${Buffer.from(`u:${SECRET}`).toString("base64")}` },
  "bearer without a token": { authorization: "Bearer" },
  "wrong token": bearer("correct horse battery stapler"),
  "wrong token of the same length": bearer(SECRET.replace("c", "k")),
  "token with a prefix of the secret": bearer(SECRET.slice(0, 5)),
};

let core: FakeCore;
let ts: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  ts = await startTestServer(core, { secret: SECRET });
});
afterAll(() => ts.close());

describe.each(["grpc/2", "connect/1.1"] as const)("over %s", (name) => {
  // One transport per protocol: each holds its own connection, reused across tests.
  let shared: ReturnType<typeof sspClient> | undefined;
  const client = () => (shared ??= sspClient(transport(name, ts.url)));

  describe.each(Object.entries(BAD_CREDENTIALS))("%s credentials", (_label, headers) => {
    it.each(Object.keys(RPCS))("%s answers UNAUTHENTICATED without touching the core", async (rpc) => {
      const before = core.calls.length;
      const err = await RPCS[rpc]!(client(), headers).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err?.code).toBe(Code.Unauthenticated);
      expect(core.calls.length).toBe(before);
    });
  });

  it.each(Object.keys(RPCS))("%s passes with the right token", async (rpc) => {
    await expect(RPCS[rpc]!(client(), bearer(SECRET))).resolves.not.toThrow();
  });

  it("says what is wrong, without echoing the token", async () => {
    const messages = await Promise.all(
      Object.values(BAD_CREDENTIALS).map((headers) => client().getServerInfo({}, { headers }).catch((e: unknown) => ConnectError.from(e).rawMessage)),
    );
    expect(messages).toContain("missing credentials: send metadata `authorization: Bearer <SPOOKY_AUTH_SECRET>`");
    expect(messages).toContain("malformed authorization metadata: expected `Bearer <token>`");
    expect(messages).toContain("invalid bearer token");
    for (const m of messages) expect(String(m)).not.toContain("staple");
  });

  it("health needs no token", async () => {
    const res = await healthClient(transport(name, ts.url)).check({ service: "" });
    expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

it("plain health routes need no token", async () => {
  expect((await fetch(`${ts.url}/health/live`)).status).toBe(200);
  expect((await fetch(`${ts.url}/health/ready`)).status).toBe(200);
});

it("insecure dev mode (no secret) serves every RPC without a token", async () => {
  const open = await startTestServer(createFakeCore());
  try {
    const c = sspClient(transport("grpc/2", open.url));
    for (const rpc of Object.values(RPCS)) await rpc(c, {});
  } finally {
    await open.close();
  }
});

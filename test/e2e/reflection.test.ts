/**
 * gRPC server reflection through real Connect clients, over gRPC (what grpcurl
 * speaks) and the Connect protocol on HTTP/2 (what buf curl speaks): one bidi
 * stream answers many questions in order, unknown names get NOT_FOUND without
 * ending the stream, and reflection needs the bearer secret unless
 * SSP_REFLECTION_PUBLIC=1, while health stays open and SSP's own RPCs stay
 * closed either way.
 */
import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServerReflection as ReflectionV1, ServerReflectionRequestSchema as RequestV1, type ServerReflectionResponse } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { bearer, healthClient, sspClient, transport } from "../support/clients.js";
import { createFakeCore, type FakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { makeTestKeys, type TestKeys } from "../support/tokens.js";
import { createSubscriberTokenVerifier } from "../../src/auth/index.js";

const SECRET = "reflection-secret";
const SSP_FILE = "spooky/ssp/v1/ssp.proto";
const SERVICES = [
  "spooky.ssp.v1.StreamProcessorService",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

type Ask = MessageInitShape<typeof RequestV1>["messageRequest"];
type ReflectionClient = Client<typeof ReflectionV1>;

/** Sends every question on one stream and collects the answers. v1alpha has the same shape on the wire. */
async function ask(client: ReflectionClient, asks: Ask[], headers: Record<string, string> = bearer(SECRET)): Promise<ServerReflectionResponse[]> {
  async function* requests() {
    for (const messageRequest of asks) yield create(RequestV1, { host: "ssp.test", messageRequest });
  }
  const answers: ServerReflectionResponse[] = [];
  for await (const answer of client.serverReflectionInfo(requests(), { headers })) answers.push(answer);
  return answers;
}

function fileNames(answer: ServerReflectionResponse | undefined): string[] {
  if (answer?.messageResponse.case !== "fileDescriptorResponse") throw new Error(`not a file answer: ${answer?.messageResponse.case}`);
  return answer.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

function errorOf(answer: ServerReflectionResponse | undefined): [Code, string] {
  if (answer?.messageResponse.case !== "errorResponse") throw new Error(`not an error answer: ${answer?.messageResponse.case}`);
  return [answer.messageResponse.value.errorCode, answer.messageResponse.value.errorMessage];
}

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  return call.then(
    () => "ok" as const,
    (err: unknown) => ConnectError.from(err).code,
  );
}

let core: FakeCore;
let closed: TestServer;
let open: TestServer;
beforeAll(async () => {
  core = createFakeCore();
  [closed, open] = await Promise.all([
    startTestServer(core, { secret: SECRET }),
    startTestServer(core, { secret: SECRET, reflectionPublic: true }),
  ]);
});
afterAll(() => Promise.all([closed.close(), open.close()]));

describe.each([
  ["v1", ReflectionV1],
  ["v1alpha", ReflectionV1alpha],
] as const)("reflection %s", (_label, service) => {
  describe.each(["grpc/2", "connect/2"] as const)("over %s", (name) => {
    // The two versions' messages are the same on the wire; one client type serves both in these helpers.
    const client = () => createClient(service, transport(name, closed.url)) as unknown as ReflectionClient;

    it("answers each question on one stream, in order, echoing host and request", async () => {
      const answers = await ask(client(), [
        { case: "listServices", value: "" },
        { case: "fileContainingSymbol", value: "spooky.ssp.v1.StreamProcessorService" },
        { case: "fileByFilename", value: "google/protobuf/struct.proto" },
        { case: "fileByFilename", value: SSP_FILE },
        { case: "fileContainingSymbol", value: "grpc.health.v1.Health.Check" },
        { case: "allExtensionNumbersOfType", value: "spooky.ssp.v1.RecordChange" },
      ]);
      expect(answers).toHaveLength(6);
      expect(answers.map((a) => a.validHost)).toEqual(Array(6).fill("ssp.test"));
      expect(answers.map((a) => a.originalRequest?.messageRequest.case)).toEqual([
        "listServices",
        "fileContainingSymbol",
        "fileByFilename",
        "fileByFilename",
        "fileContainingSymbol",
        "allExtensionNumbersOfType",
      ]);
      const [services, symbol, struct, again, health, extensions] = answers;
      expect(services?.messageResponse).toMatchObject({ case: "listServicesResponse" });
      if (services?.messageResponse.case === "listServicesResponse") {
        expect(services.messageResponse.value.service.map((s) => s.name)).toEqual(SERVICES);
      }
      // The file, then its imports, transitively; each file once per stream, except the one asked for.
      expect(fileNames(symbol)).toEqual([SSP_FILE, "google/protobuf/duration.proto", "google/protobuf/struct.proto", "google/protobuf/timestamp.proto"]);
      expect(fileNames(struct)).toEqual(["google/protobuf/struct.proto"]);
      expect(fileNames(again)).toEqual([SSP_FILE]);
      expect(fileNames(health)).toEqual(["grpc/health/v1/health.proto"]);
      expect(extensions?.messageResponse).toMatchObject({
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: "spooky.ssp.v1.RecordChange", extensionNumber: [] },
      });
    });

    it("answers NOT_FOUND and INVALID_ARGUMENT in the stream, which stays open", async () => {
      const answers = await ask(client(), [
        { case: "fileByFilename", value: "nope.proto" },
        { case: "fileContainingSymbol", value: "spooky.ssp.v1.Nope" },
        { case: "fileContainingExtension", value: { containingType: "spooky.ssp.v1.RecordChange", extensionNumber: 100 } },
        { case: "allExtensionNumbersOfType", value: "spooky.ssp.v1.Nope" },
        { case: undefined },
        { case: "fileContainingSymbol", value: "spooky.ssp.v1.Operation" },
      ]);
      expect(answers.slice(0, 5).map(errorOf)).toEqual([
        [Code.NotFound, 'file "nope.proto" not found'],
        [Code.NotFound, 'symbol "spooky.ssp.v1.Nope" not found'],
        [Code.NotFound, 'extension 100 of "spooky.ssp.v1.RecordChange" not found'],
        [Code.NotFound, 'message type "spooky.ssp.v1.Nope" not found'],
        [Code.InvalidArgument, expect.stringMatching(/^the request asks nothing/)],
      ]);
      expect(fileNames(answers[5])[0]).toBe(SSP_FILE);
    });

    it("needs the bearer secret", async () => {
      const before = core.calls.length;
      expect(await codeOf(ask(client(), [{ case: "listServices", value: "" }], {}))).toBe(Code.Unauthenticated);
      expect(await codeOf(ask(client(), [{ case: "listServices", value: "" }], bearer("wrong")))).toBe(Code.Unauthenticated);
      expect(core.calls.length).toBe(before);
    });
  });
});

describe("with SSP_REFLECTION_PUBLIC=1", () => {
  it.each(["grpc/2", "connect/2"] as const)("reflection answers without a token over %s; SSP's RPCs still need it, health never does", async (name) => {
    const t = transport(name, open.url);
    const answers = await ask(createClient(ReflectionV1, t), [{ case: "fileContainingSymbol", value: "spooky.ssp.v1.StreamProcessorService.Ingest" }], {});
    expect(fileNames(answers[0])[0]).toBe(SSP_FILE);
    const alpha = createClient(ReflectionV1alpha, t) as unknown as ReflectionClient;
    expect(await codeOf(ask(alpha, [{ case: "listServices", value: "" }], {}))).toBe("ok");
    expect(await codeOf(sspClient(t).getServerInfo({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(sspClient(t).getServerInfo({}, { headers: bearer(SECRET) }))).toBe("ok");
    expect((await healthClient(t).check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

describe("a reflection stream the client holds open", () => {
  /** Opens a stream, asks one question, and keeps the request side open until `hangUp`. */
  function holdOpen(url: string) {
    let hangUp = (): void => undefined;
    const hold = new Promise<void>((resolve) => (hangUp = resolve));
    async function* requests() {
      yield create(RequestV1, { messageRequest: { case: "listServices", value: "" } });
      await hold;
    }
    const answers = createClient(ReflectionV1, transport("grpc/2", url)).serverReflectionInfo(requests(), { headers: bearer(SECRET) });
    return { answers: answers[Symbol.asyncIterator](), hangUp };
  }

  it("ends with UNAVAILABLE when the server shuts down", async () => {
    const ts = await startTestServer(createFakeCore(), { secret: SECRET, shutdownTimeoutMs: 10_000 });
    const { answers, hangUp } = holdOpen(ts.url);
    try {
      expect((await answers.next()).value?.messageResponse.case).toBe("listServicesResponse");
      const closing = ts.server.close();
      expect(await codeOf(answers.next())).toBe(Code.Unavailable);
      hangUp();
      expect((await closing).drained).toBe(true);
    } finally {
      hangUp();
      await ts.close();
    }
  });

  it("is reset once open longer than the request timeout (SSP_REQUEST_TIMEOUT_MS), like any request still arriving", async () => {
    const ts = await startTestServer(createFakeCore(), { secret: SECRET, limits: { headersTimeoutMs: 300, requestTimeoutMs: 300 } });
    const { answers, hangUp } = holdOpen(ts.url);
    try {
      expect((await answers.next()).value?.messageResponse.case).toBe("listServicesResponse");
      expect(await codeOf(answers.next())).toBe(Code.Canceled);
    } finally {
      hangUp();
      await ts.close();
    }
  });
});

describe("reflection and subscriber tokens", () => {
  let keys: TestKeys;
  let withTokens: TestServer;
  let publicWithTokens: TestServer;
  beforeAll(async () => {
    keys = await makeTestKeys();
    const subscriberTokens = await createSubscriberTokenVerifier({ hs256Secret: keys.hs256Secret, jwks: keys.jwks as never, clientClaim: "sub", clockSkewS: 30 });
    [withTokens, publicWithTokens] = await Promise.all([
      startTestServer(core, { secret: SECRET, server: { subscriberTokens } }),
      startTestServer(core, { secret: SECRET, reflectionPublic: true, server: { subscriberTokens } }),
    ]);
  });
  afterAll(() => Promise.all([withTokens.close(), publicWithTokens.close()]));

  it("refuses a subscriber token PERMISSION_DENIED while reflection is private", async () => {
    const client = createClient(ReflectionV1, transport("grpc/2", withTokens.url)) as ReflectionClient;
    const token = await keys.token("alice");
    expect(await codeOf(ask(client, [{ case: "listServices", value: "" }], { authorization: `Bearer ${token}` }))).toBe(Code.PermissionDenied);
    expect(await codeOf(ask(client, [{ case: "listServices", value: "" }]))).toBe("ok");
  });

  it("answers anyone, a subscriber included, once SSP_REFLECTION_PUBLIC=1", async () => {
    const client = createClient(ReflectionV1, transport("grpc/2", publicWithTokens.url)) as ReflectionClient;
    const token = await keys.token("alice");
    expect(await codeOf(ask(client, [{ case: "listServices", value: "" }], { authorization: `Bearer ${token}` }))).toBe("ok");
    expect(await codeOf(ask(client, [{ case: "listServices", value: "" }], {}))).toBe("ok");
  });
});

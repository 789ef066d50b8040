/**
 * Random wire requests for every RPC: a method, a protocol (Connect, gRPC,
 * gRPC-Web; binary or JSON; HTTP/1.1 or 2), a body (random bytes, a valid
 * message, a valid message with bytes flipped, cut or appended, random JSON,
 * JSON with the method's own field names holding random values) and random
 * headers (timeouts, encodings, protocol versions, odd names and values).
 */
import { gzipSync } from "node:zlib";
import { create, toBinary, toJsonString, type DescMessage, type DescMethod, type MessageInitShape } from "@bufbuild/protobuf";
import fc from "fast-check";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { Operation, StreamProcessorService } from "../../../gen/spooky/ssp/v1/ssp_pb.js";
import { envelope, type HttpVersion } from "../../support/raw-rpc.js";
import { SECRET } from "./target.js";

export interface WireRequest {
  readonly path: string;
  readonly http: HttpVersion;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
  readonly streaming: boolean;
  /** For a failure report. */
  readonly label: string;
}

/** One valid request per method: the seed the mutations start from, and valid traffic that may change the state. */
const VALID: Readonly<Record<string, MessageInitShape<DescMessage>>> = {
  Ingest: { change: { op: Operation.UPDATE, id: "user:3", record: { age: 25 } } },
  IngestBatch: { changes: [{ op: Operation.CREATE, id: "user:4", record: { age: 50 } }, { op: Operation.DELETE, id: "post:9" }] },
  RegisterView: { id: "fuzz", surql: "SELECT * FROM user WHERE age > $a", params: { a: 18 }, clientId: "app" },
  UnregisterView: { id: "fuzz" },
  Reset: {},
  GetView: { id: "users" },
  ListViews: { clientId: "app" },
  WatchDeltas: { viewIds: ["users"] },
  Save: {},
  GetServerInfo: {},
  ResyncEdges: { viewId: "users" },
  Check: { service: "" },
  Watch: { service: "" },
};

const METHODS: readonly DescMethod[] = [...StreamProcessorService.methods, ...Health.methods];

type Protocol = "connect" | "connect+json" | "grpc" | "grpc+json" | "grpc-web" | "grpc-web+json";

const header = fc.oneof(
  fc.tuple(fc.constant("grpc-timeout"), fc.oneof(fc.constantFrom("1n", "5S", "100m", "99999999H", "-1S", "x"), fc.string({ maxLength: 10 }))),
  fc.tuple(fc.constant("connect-timeout-ms"), fc.oneof(fc.constantFrom("0", "1", "-5", "1e9", "abc"), fc.nat().map(String))),
  fc.tuple(fc.constantFrom("content-encoding", "grpc-encoding", "connect-content-encoding"), fc.constantFrom("gzip", "br", "identity", "deflate", "zstd", "x")),
  fc.tuple(fc.constantFrom("accept-encoding", "grpc-accept-encoding", "connect-accept-encoding"), fc.constantFrom("gzip", "br", "*", "")),
  fc.tuple(fc.constant("connect-protocol-version"), fc.constantFrom("1", "2", "")),
  fc.tuple(fc.constant("authorization"), fc.constantFrom("Bearer wrong", "Basic eDp5", "Bearer", "")),
  fc.tuple(fc.constant("x-request-id"), fc.string({ maxLength: 80 })),
  fc.tuple(fc.constant("traceparent"), fc.oneof(fc.constant("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), fc.string({ maxLength: 60 }))),
  fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), fc.string({ maxLength: 40 })),
);

/** Header values must be printable ASCII without CR/LF, or Node refuses to send them (a client-side error, not a test). */
const printable = (value: string) => value.replace(/[^\x20-\x7e]/g, "");

function bodyArbitrary(method: DescMethod, json: boolean): fc.Arbitrary<{ bytes: Uint8Array; kind: string }> {
  const valid = create(method.input, VALID[method.name] ?? {});
  const validBytes = json ? new TextEncoder().encode(toJsonString(method.input, valid)) : toBinary(method.input, valid);
  const fieldNames = method.input.fields.flatMap((f) => [f.name, f.jsonName]);
  const mutated = fc
    .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(), fc.uint8Array({ maxLength: 8 }))
    .map(([flips, cut, tail]) => {
      const bytes = Uint8Array.from(validBytes);
      for (const [at, value] of flips) if (bytes.length > 0) bytes[at % bytes.length] = value;
      const kept = bytes.subarray(0, validBytes.length === 0 ? 0 : validBytes.length - (cut % (validBytes.length + 1)));
      return { bytes: Uint8Array.from([...kept, ...tail]), kind: "mutated" };
    });
  const text = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ bytes: validBytes, kind: "valid" }) },
    { weight: 3, arbitrary: mutated },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ bytes, kind: "random bytes" })) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((j) => ({ bytes: new TextEncoder().encode(j), kind: "random JSON" })) },
    {
      weight: 2,
      arbitrary: fc
        .dictionary(fc.constantFrom(...(fieldNames.length > 0 ? fieldNames : ["x"]), "junk"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
        .map((o) => ({ bytes: text(o), kind: "JSON with the method's field names" })),
    },
  );
}

export function wireRequestArbitrary(): fc.Arbitrary<WireRequest> {
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      protocol: fc.constantFrom<Protocol>("connect", "connect+json", "grpc", "grpc+json", "grpc-web", "grpc-web+json"),
      http: fc.constantFrom<HttpVersion>("1.1", "2"),
      headers: fc.array(header, { maxLength: 3 }),
      auth: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      gzip: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      flags: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
      seed: fc.nat(),
    })
    .chain((r) =>
      bodyArbitrary(r.method, r.protocol.endsWith("+json")).map((body) => {
        const streaming = r.method.methodKind !== "unary";
        const connect = r.protocol.startsWith("connect");
        const json = r.protocol.endsWith("+json");
        const http: HttpVersion = r.protocol.startsWith("grpc") && !r.protocol.startsWith("grpc-web") ? "2" : r.http;
        let bytes = body.bytes;
        const headers: Record<string, string> = {};
        if (r.gzip) {
          bytes = gzipSync(bytes);
          headers[connect && !streaming ? "content-encoding" : connect ? "connect-content-encoding" : "grpc-encoding"] = "gzip";
        }
        const framed = !(connect && !streaming);
        headers["content-type"] = connect
          ? streaming
            ? `application/connect+${json ? "json" : "proto"}`
            : `application/${json ? "json" : "proto"}`
          : `application/${r.protocol.split("+")[0]}+${json ? "json" : "proto"}`;
        if (connect) headers["connect-protocol-version"] = "1";
        if (http === "2") headers.te = "trailers";
        if (r.auth) headers.authorization = `Bearer ${SECRET}`;
        for (const [name, value] of r.headers) headers[name] = printable(value);
        const flags = r.gzip && framed ? 1 | r.flags : r.flags;
        return {
          path: `/${r.method.parent.typeName}/${r.method.name}`,
          http,
          headers,
          body: framed ? envelope(bytes, flags) : bytes,
          streaming,
          label: `${r.method.name} over ${r.protocol}/HTTP ${http}, ${body.kind}${r.gzip ? ", gzip" : ""}, headers ${JSON.stringify(r.headers)}`,
        };
      }),
    );
}

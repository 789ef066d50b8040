import { create, fromBinary, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IngestRequestSchema, Operation, RegisterViewRequestSchema } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { recordChangeFromProto, viewSpecFromProto } from "./convert.js";

/** JSON objects with record links mixed in, as clients send them. */
const body = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.string(),
    fc.record({ $rid: fc.constantFrom("user:1", "user:⟨a b⟩", "room:42") }),
    fc.array(tie("value"), { maxLength: 3 }),
    tie("object"),
  ),
  object: fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
})).object as fc.Arbitrary<JsonObject>;

describe("recordChangeFromProto", () => {
  it("keeps any body, record links included, through the binary wire format", () => {
    fc.assert(
      fc.property(body, (record) => {
        const sent = create(IngestRequestSchema, { change: { op: Operation.UPDATE, id: "user:1", record } });
        const received = fromBinary(IngestRequestSchema, toBinary(IngestRequestSchema, sent));
        expect(recordChangeFromProto(received.change, "change").body).toEqual(record);
      }),
    );
  });

  it("keeps a record link distinct from the same text as a plain string", () => {
    const record = { link: { $rid: "user:1" }, text: "user:1" };
    const change = recordChangeFromProto(create(IngestRequestSchema, { change: { op: Operation.CREATE, id: "a:1", record } }).change, "change");
    expect(change.body).toEqual({ link: { $rid: "user:1" }, text: "user:1" });
  });

  it("drops the body of a DELETE", () => {
    const change = create(IngestRequestSchema, { change: { op: Operation.DELETE, id: "a:1", record: { x: 1 } } }).change;
    expect(recordChangeFromProto(change, "change").body).toBeUndefined();
  });
});

describe("viewSpecFromProto", () => {
  it("rejects a negative ttl", () => {
    const req = create(RegisterViewRequestSchema, { id: "v", surql: "SELECT * FROM a", ttl: { seconds: -1n } });
    let err: unknown;
    try {
      viewSpecFromProto(req, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConnectError);
    expect([(err as ConnectError).code, (err as ConnectError).rawMessage]).toEqual([Code.InvalidArgument, "ttl must not be negative"]);
  });
});

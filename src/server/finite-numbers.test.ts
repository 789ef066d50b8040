import { create, fromBinary, toBinary, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { IngestRequestSchema, Operation, RegisterViewRequestSchema } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { recordChangeFromProto, viewSpecFromProto } from "./convert.js";

/** An ingest as the server receives it: encoded and decoded as binary protobuf. */
function received(op: Operation, record: JsonObject) {
  const sent = create(IngestRequestSchema, { change: { op, id: "item:1", record } });
  return fromBinary(IngestRequestSchema, toBinary(IngestRequestSchema, sent)).change;
}

function refusal(fn: () => unknown): [Code, string] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConnectError) return [err.code, err.rawMessage];
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("non-finite numbers", () => {
  it.each([
    [{ score: Number.NaN }, "change.record.score is NaN"],
    [{ a: { b: [1, 2, Number.POSITIVE_INFINITY] } }, "change.record.a.b[2] is Infinity"],
    [{ "odd key": [{ x: Number.NEGATIVE_INFINITY }] }, 'change.record["odd key"][0].x is -Infinity'],
  ])("refuses a record body holding one, naming where: %j", (record, where) => {
    const [code, message] = refusal(() => recordChangeFromProto(received(Operation.UPDATE, record), "change"));
    expect(code).toBe(Code.InvalidArgument);
    expect(message.startsWith(`${where}; numbers must be finite`)).toBe(true);
  });

  it("accepts finite extremes and ignores the (unused) body of a DELETE", () => {
    const finite = { big: Number.MAX_VALUE, small: -Number.MIN_VALUE, zero: -0 };
    expect(recordChangeFromProto(received(Operation.CREATE, finite), "change").body).toEqual(finite);
    expect(recordChangeFromProto(received(Operation.DELETE, { x: Number.NaN }), "change").body).toBeUndefined();
  });

  it("refuses view parameters holding one", () => {
    const sent = create(RegisterViewRequestSchema, { id: "v", surql: "SELECT * FROM item WHERE score > $min", params: { min: Number.NEGATIVE_INFINITY } });
    const req = fromBinary(RegisterViewRequestSchema, toBinary(RegisterViewRequestSchema, sent));
    expect(refusal(() => viewSpecFromProto(req, 0))[1]).toMatch(/^params\.min is -Infinity; numbers must be finite/);
  });
});

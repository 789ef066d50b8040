/** The delta hub's errors reach clients with their gRPC codes, and an overflow with its cursors. */
import { Code } from "@connectrpc/connect";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { HubClosedError, InvalidWatchRequestError, ResetError, StreamOverflowError, ViewNotFoundError } from "../streaming/index.js";
import { RESUME_FROM_TRAILER, toConnectError } from "./errors.js";

const scope = { requestId: "r1", method: "spooky.ssp.v1.StreamProcessorService/WatchDeltas", logger: pino({ level: "silent" }) };

describe("mapping the delta hub's errors", () => {
  it.each([
    [new InvalidWatchRequestError("bad cursor"), Code.InvalidArgument],
    [new ViewNotFoundError(["a"]), Code.NotFound],
    [new ResetError(), Code.Aborted],
    [new HubClosedError(), Code.Unavailable],
  ])("%s keeps its message under its code", (err, code) => {
    const mapped = toConnectError(err, scope);
    expect([mapped.code, mapped.rawMessage]).toEqual([code, err.message]);
    expect(mapped.metadata.get(RESUME_FROM_TRAILER)).toBeNull();
  });

  it("ends an overflowing stream with RESOURCE_EXHAUSTED, the cursors in the message and as JSON metadata", () => {
    const err = new StreamOverflowError(8, new Map([["room=a,b", 12], ["v⟨2⟩ é", 0]]));
    const mapped = toConnectError(err, scope);
    expect(mapped.code).toBe(Code.ResourceExhausted);
    expect(mapped.rawMessage).toBe(err.message);
    expect(JSON.parse(mapped.metadata.get(RESUME_FROM_TRAILER) ?? "")).toEqual({ "room=a,b": 12, "v⟨2⟩ é": 0 });
    expect(mapped.metadata.get(RESUME_FROM_TRAILER)).toMatch(/^[\x20-\x7e]+$/);
  });
});

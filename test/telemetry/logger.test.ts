import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it } from "vitest";
import { Operation, StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { type LoggerOptions, createLogger, loggerOptionsFromEnv, setupTelemetry } from "../../src/telemetry/index.js";
import { startFakeSsp } from "./fake-ssp-server.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** A logger writing into an array of lines. */
function capture(options: Omit<LoggerOptions, "destination"> = {}) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
      done();
    },
  });
  const logger = createLogger({ level: "info", format: "json", ...options, destination });
  const json = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, json };
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN_ID = "00f067aa0ba902b7";

describe("createLogger", () => {
  it("writes one JSON object per line with a level label, ISO time and the service", () => {
    const { logger, json } = capture();
    logger.info({ view_id: "v1", table: "user", op: "create", request_id: "r1" }, "view updated");
    const [line] = json();
    expect(line).toMatchObject({ level: "info", service: "ssp", msg: "view updated", view_id: "v1", table: "user", op: "create", request_id: "r1" });
    expect(new Date(String(line?.time)).toISOString()).toBe(line?.time);
  });

  it("respects the level", () => {
    const { logger, json } = capture({ level: "warn" });
    logger.info("hidden");
    logger.warn("shown");
    expect(json().map((l) => l.msg)).toEqual(["shown"]);
  });

  it("redacts credentials wherever they are passed", () => {
    const { logger, lines } = capture();
    logger.info({ authorization: "Bearer s3cr3t", headers: { authorization: "Bearer s3cr3t" }, config: { authSecret: "s3cr3t", password: "s3cr3t" } }, "x");
    expect(lines.join("\n")).not.toContain("s3cr3t");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ authorization: "[redacted]", headers: { authorization: "[redacted]" } });
  });

  it("drops record bodies from lines at info and above, keeping them at debug", () => {
    const { logger, json } = capture({ level: "debug" });
    logger.info({ view_id: "v1", record: { secret_note: "x" } }, "at info");
    logger.debug({ view_id: "v1", record: { note: "y" } }, "at debug");
    const [info, debug] = json();
    expect(info).toMatchObject({ view_id: "v1", record: "[omitted above debug]" });
    expect(debug).toMatchObject({ record: { note: "y" } });
  });

  it("stamps trace_id and span_id of the active span, and nothing outside spans", async () => {
    const telemetry = await setupTelemetry({ serviceVersion: "t", spanExporter: new InMemorySpanExporter(), env: {} });
    cleanups.push(() => telemetry.shutdown());
    const { logger, json } = capture();
    logger.info("outside");
    const ids = await telemetry.withSpan("snapshot.save", undefined, async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info("inside, after an await");
      return span.spanContext();
    });
    const [outside, inside] = json();
    expect(outside).not.toHaveProperty("trace_id");
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });

  it("writes human-readable lines when the format is pretty", () => {
    const { logger, lines } = capture({ format: "pretty" });
    logger.info({ view_id: "v1" }, "hello");
    expect(lines.join("\n")).toContain("hello");
    expect(() => JSON.parse(lines[0] ?? "")).toThrow();
  });
});

describe("loggerOptionsFromEnv", () => {
  it("reads LOG_LEVEL and LOG_FORMAT, defaulting to info and json", () => {
    expect(loggerOptionsFromEnv({})).toEqual({ level: "info", format: "json" });
    expect(loggerOptionsFromEnv({ LOG_LEVEL: "DEBUG", LOG_FORMAT: "pretty" })).toEqual({ level: "debug", format: "pretty" });
  });

  it("names the variable that is wrong", () => {
    expect(() => loggerOptionsFromEnv({ LOG_LEVEL: "loud" })).toThrow(/^LOG_LEVEL=loud/);
    expect(() => loggerOptionsFromEnv({ LOG_FORMAT: "xml" })).toThrow(/^LOG_FORMAT=xml/);
  });
});

describe("logs of an RPC with tracing off", () => {
  it("still carry the caller's trace id from traceparent", async () => {
    const telemetry = await setupTelemetry({ serviceVersion: "t", enableTracing: false, env: {} });
    const { logger, json } = capture();
    const ssp = await startFakeSsp(telemetry, [telemetry.rpcInterceptor({ accessLog: logger })], logger, 0);
    cleanups.push(() => telemetry.shutdown(), () => ssp.close());
    const client = createClient(StreamProcessorService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ssp.port}` }));
    await client.ingest(
      { change: { table: "user", op: Operation.CREATE, id: "user:1" } },
      { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, "x-request-id": "req-9" } },
    );
    const lines = json();
    expect(lines.find((l) => l.msg === "ingested")).toMatchObject({ trace_id: TRACE_ID, span_id: CALLER_SPAN_ID });
    expect(lines.find((l) => l.msg === "rpc")).toMatchObject({ trace_id: TRACE_ID, request_id: "req-9", code: "OK" });
  });
});

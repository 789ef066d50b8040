// A backend service calling SSP with @grpc/grpc-js, traced with OpenTelemetry so
// that its trace continues into SSP's spans (SSP reads the `traceparent` metadata
// that @opentelemetry/instrumentation-grpc adds to every call).
//
// Run against `make run` (Node 24 runs this file as is):
//   SPOOKY_AUTH_SECRET=dev-secret SSP_ADDRESS=127.0.0.1:8667 node examples/grpc-js-client.ts
// With OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318) set here and for
// SSP, both sides' spans land in one trace in your collector; without it the
// client's spans are printed to the console.
//
// The one rule: the instrumentation patches grpc-js when grpc-js is loaded, so it
// must be registered BEFORE the first load. That is why grpc-js is loaded inside
// loadSspClient (through require, after instrumentGrpc), not imported at the top.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import type * as protoLoader from "@grpc/proto-loader";
import { SpanStatusCode, context, propagation, trace, type TracerProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
  TracerProvider as SdkTracerProvider,
} from "@opentelemetry/sdk-trace";

const require = createRequire(import.meta.url);
const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../proto");

/** A record change as proto-loader takes it (enums by name, Struct as fields). */
export interface RecordChangeInput {
  table?: string;
  op: "OPERATION_CREATE" | "OPERATION_UPDATE" | "OPERATION_DELETE";
  id: string;
  record?: { fields: Record<string, { stringValue?: string; numberValue?: number; boolValue?: boolean }> };
  version?: string;
}

export interface IngestReply {
  views: Array<{ viewId: string; sequence: string; deltas: Array<{ id: string; event: string; version: string }> }>;
  stale: boolean;
  edges: string;
}

/** The subset of the generated grpc-js client this example uses. */
export interface SspClient {
  ingest(request: { change: RecordChangeInput }, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, reply?: IngestReply) => void): grpc.ClientUnaryCall;
  watchDeltas(request: { viewIds: string[] }, metadata: grpc.Metadata): grpc.ClientReadableStream<unknown>;
  close(): void;
}

/**
 * Registers the gRPC instrumentation with `tracerProvider` (and the W3C
 * propagator and async context it needs, process-wide, as an application's
 * telemetry setup does). Call before loadSspClient.
 */
export function instrumentGrpc(tracerProvider: TracerProvider): GrpcInstrumentation {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  // false: one is installed already (SSP's own telemetry in the same process); keep it.
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const instrumentation = new GrpcInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.enable();
  return instrumentation;
}

/** Loads grpc-js and the SSP contract now, and connects (plaintext) to `address`. */
export function loadSspClient(address: string): { client: SspClient; grpc: typeof grpc } {
  const grpcJs = require("@grpc/grpc-js") as typeof grpc;
  const loader = require("@grpc/proto-loader") as typeof protoLoader;
  const definition = loader.loadSync("spooky/ssp/v1/ssp.proto", {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const packageObject = grpcJs.loadPackageDefinition(definition) as unknown as {
    spooky: { ssp: { v1: { StreamProcessorService: new (address: string, credentials: grpc.ChannelCredentials) => SspClient } } };
  };
  const Service = packageObject.spooky.ssp.v1.StreamProcessorService;
  return { client: new Service(address, grpcJs.credentials.createInsecure()), grpc: grpcJs };
}

/** Sends one Ingest with the bearer token (and a request id, for the logs). */
export function ingest(
  loaded: { client: SspClient; grpc: typeof grpc },
  token: string,
  change: RecordChangeInput,
  requestId?: string,
): Promise<IngestReply> {
  const metadata = new loaded.grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  if (requestId !== undefined) metadata.set("x-request-id", requestId);
  return new Promise((resolve, reject) => {
    loaded.client.ingest({ change }, metadata, (err, reply) => (err ? reject(err) : resolve(reply as IngestReply)));
  });
}

async function main(): Promise<void> {
  const address = process.env.SSP_ADDRESS ?? "127.0.0.1:8667";
  const token = process.env.SPOOKY_AUTH_SECRET ?? "";
  const exporter: SpanExporter = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
    ? new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter()
    : new ConsoleSpanExporter();
  const provider = new SdkTracerProvider({
    resource: resourceFromAttributes({ "service.name": "example-backend" }),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  instrumentGrpc(provider);
  const loaded = loadSspClient(address);

  // The backend's own work is the root; the gRPC client span and SSP's server
  // span nest under it.
  const tracer = provider.getTracer("example-backend");
  await tracer.startActiveSpan("backend.save-user", async (span) => {
    try {
      const reply = await ingest(loaded, token, {
        table: "user",
        op: "OPERATION_CREATE",
        id: "user:example",
        record: { fields: { name: { stringValue: "Example" } } },
      });
      console.log(`ingested: ${JSON.stringify(reply)}`);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      console.error(`ingest failed: ${String(err)}`);
      process.exitCode = 1;
    } finally {
      console.log(`trace id: ${span.spanContext().traceId} (search for it in SSP's logs and your trace backend)`);
      span.end();
    }
  });
  loaded.client.close();
  await provider.shutdown();
}

if (import.meta.main) await main();

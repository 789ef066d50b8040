// A real Connect server (HTTP/2 cleartext on 127.0.0.1, port 0) serving a fake
// StreamProcessorService whose handlers do what SSP's handlers will do for
// telemetry: child spans `circuit.ingest` and `edges.write` through withSpan, a
// log line, and stream events. Record ids pick the outcome: `fail:internal` and
// `fail:invalid` make Ingest fail with INTERNAL / INVALID_ARGUMENT. The edge write
// waits `edgeDelayMs` (default 1) on a timer; 0 makes it a microtask, for benches.
// WatchDeltas for the view `hold` stays open until the client cancels.

import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import {
  IngestResponseSchema,
  StreamProcessorService,
  WatchDeltasResponseSchema,
} from "../../gen/spooky/ssp/v1/ssp_pb.js";
import {
  ATTR_SSP_EDGE_OPERATIONS,
  ATTR_SSP_EDGE_ROUND_TRIPS,
  ATTR_SSP_TABLE,
  ATTR_SSP_VIEWS_AFFECTED,
  ATTR_SSP_VIEW_ID,
  EVENT_STREAM_SNAPSHOT,
  SPAN_CIRCUIT_INGEST,
  SPAN_EDGES_WRITE,
  type Telemetry,
  addSpanEvent,
} from "../../src/telemetry/index.js";

export interface FakeSsp {
  port: number;
  close(): Promise<void>;
}

export async function startFakeSsp(
  telemetry: Pick<Telemetry, "withSpan" | "metrics">,
  interceptors: Interceptor[],
  logger?: Logger,
  edgeDelayMs = 1,
): Promise<FakeSsp> {
  const handler = connectNodeAdapter({
    interceptors,
    routes(router) {
      router.service(StreamProcessorService, {
        async ingest(req) {
          const change = req.change;
          const table = change?.table ?? "";
          if (change?.id === "fail:invalid") throw new ConnectError("change.table is required", Code.InvalidArgument);
          const started = performance.now();
          const views = telemetry.withSpan(SPAN_CIRCUIT_INGEST, { [ATTR_SSP_TABLE]: table }, (span) => {
            if (change?.id === "fail:internal") throw new ConnectError("engine invariant broken", Code.Internal);
            span.setAttribute(ATTR_SSP_VIEWS_AFFECTED, 2);
            return 2;
          });
          telemetry.metrics.recordIngest(table, "create", (performance.now() - started) / 1000);
          await telemetry.withSpan(SPAN_EDGES_WRITE, undefined, async (span) => {
            await (edgeDelayMs > 0 ? sleep(edgeDelayMs) : Promise.resolve());
            span.setAttributes({ [ATTR_SSP_EDGE_OPERATIONS]: views, [ATTR_SSP_EDGE_ROUND_TRIPS]: 1 });
          });
          logger?.info({ table, op: "create" }, "ingested");
          return create(IngestResponseSchema, {});
        },
        async *watchDeltas(req, context) {
          for (const viewId of req.viewIds) {
            addSpanEvent(EVENT_STREAM_SNAPSHOT, { [ATTR_SSP_VIEW_ID]: viewId });
            yield create(WatchDeltasResponseSchema, { kind: { case: "snapshot", value: { viewId, sequence: 1n } } });
          }
          if (req.viewIds[0] === "hold") {
            // Open until the client goes away, like a real subscription.
            await new Promise((resolve) => context.signal.addEventListener("abort", resolve, { once: true }));
            return;
          }
          await sleep(1);
          logger?.info({ view_id: req.viewIds[0] }, "stream delta");
          yield create(WatchDeltasResponseSchema, {
            kind: { case: "delta", value: { viewId: req.viewIds[0] ?? "", sequence: 2n } },
          });
        },
      });
    },
  });
  const server = http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle HTTP/2 sessions of the client would keep close() waiting.
        for (const session of sessions) session.close();
      }),
  };
}

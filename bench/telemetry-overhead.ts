// What SSP's telemetry costs per RPC: the Connect interceptor (server span,
// traceparent extraction, RPC duration histogram) plus the handler's two child
// spans and one ingest metric, with tracing and metrics on versus off.
//
//   node bench/telemetry-overhead.ts            (about 20 s)
//   BENCH_SECONDS=5 node bench/telemetry-overhead.ts
//
// Two measurements:
// 1. in process: the interceptor chain around a handler that does no other work,
//    called directly (no network): the absolute cost in µs per call;
// 2. end to end: a real Connect server over HTTP/2 on loopback and 64 concurrent
//    Connect gRPC clients: throughput with telemetry off and on, runs alternated so
//    that drift of the machine hits both alike. Target (DESIGN.md): on ≤ 15% slower.
// "On" exports spans through the batch span processor to an exporter that drops
// them, which is what an OTLP exporter costs SSP's request path (the network send
// happens off the request path, in batches).

import { readFileSync } from "node:fs";
import { registerHooks, stripTypeScriptTypes } from "node:module";
import { fileURLToPath } from "node:url";

// Node runs this file by stripping its types; the project's sources use `.js`
// specifiers for `.ts` files and gen/ uses TypeScript enums, so imported project
// files are resolved and transformed here, before anything of the project loads.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (specifier.startsWith(".") && specifier.endsWith(".js")) return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      throw err;
    }
  },
  load(url, context, nextLoad) {
    if (url.startsWith("file:") && url.endsWith(".ts") && !url.includes("/node_modules/")) {
      const source = stripTypeScriptTypes(readFileSync(fileURLToPath(url), "utf8"), { mode: "transform" });
      return { format: "module", source, shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});

const { create } = await import("@bufbuild/protobuf");
const { createClient, createContextValues } = await import("@connectrpc/connect");
const { createGrpcTransport } = await import("@connectrpc/connect-node");
const { IngestRequestSchema, IngestResponseSchema, Operation, StreamProcessorService } = await import("../gen/spooky/ssp/v1/ssp_pb.js");
const { setupTelemetry } = await import("../src/telemetry/index.js");
const { startFakeSsp } = await import("../test/telemetry/fake-ssp-server.js");

type Telemetry = Awaited<ReturnType<typeof setupTelemetry>>;
type Mode = "off" | "on";

const SECONDS = Number(process.env.BENCH_SECONDS ?? "2");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "5");
const CONCURRENCY = 64;

/** Spans go through the real batch processor and are then dropped. */
const droppingExporter = {
  export: (_spans: unknown[], done: (result: { code: number }) => void) => done({ code: 0 }),
  shutdown: async () => {},
};

function setup(mode: Mode): Promise<Telemetry> {
  return setupTelemetry({
    serviceVersion: "bench",
    enableTracing: mode === "on",
    enableMetrics: mode === "on",
    spanExporter: droppingExporter as never,
    env: {},
  });
}

/** A traceparent as a traced backend sends it, so the server span has a remote parent. */
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** The interceptor chain around a handler doing only the telemetry calls SSP's Ingest makes. */
function directCaller(telemetry: Telemetry): () => Promise<unknown> {
  const handler = async (): Promise<unknown> => {
    const views = telemetry.withSpan("circuit.ingest", { "ssp.table": "user" }, (span) => {
      span.setAttribute("ssp.views_affected", 2);
      return 2;
    });
    telemetry.metrics.recordIngest("user", "create", 0.00001);
    await telemetry.withSpan("edges.write", undefined, async (span) => {
      span.setAttribute("ssp.edge.operations", views);
    });
    return { stream: false, message: create(IngestResponseSchema, {}) };
  };
  const call = telemetry.rpcInterceptor()(handler as never) as (req: unknown) => Promise<unknown>;
  const method = StreamProcessorService.method.ingest;
  return () =>
    call({
      stream: false,
      service: StreamProcessorService,
      method,
      requestMethod: "POST",
      url: "http://127.0.0.1/spooky.ssp.v1.StreamProcessorService/Ingest",
      signal: new AbortController().signal,
      header: new Headers({ traceparent: TRACEPARENT }),
      contextValues: createContextValues(),
      message: create(IngestRequestSchema, {}),
    });
}

async function microsPerCall(call: () => Promise<unknown>, calls: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call();
  return Number(process.hrtime.bigint() - started) / 1000 / calls;
}

async function ratePerSecond(ingest: () => Promise<unknown>, seconds: number): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await ingest();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const modes = ["off", "on"] as const;
const telemetry = { off: await setup("off"), on: await setup("on") };

// 1. In process. Rounds alternate off/on so that machine noise hits both alike.
const direct = { off: directCaller(telemetry.off), on: directCaller(telemetry.on) };
const micro = { off: [] as number[], on: [] as number[] };
for (const mode of modes) await microsPerCall(direct[mode], 20_000); // warm up
for (let round = 0; round < ROUNDS * 2; round++) {
  for (const mode of modes) micro[mode].push(await microsPerCall(direct[mode], 20_000));
}
const microOff = median(micro.off);
const microOn = median(micro.on);
console.log(`in process (interceptor + 2 child spans + ingest metric, no network), median of ${ROUNDS * 2} alternated rounds:`);
console.log(`  off ${microOff.toFixed(2)} µs/call   on ${microOn.toFixed(2)} µs/call   telemetry costs ${(microOn - microOff).toFixed(2)} µs/call`);

// 2. End to end: both servers stay up; rounds alternate which one is loaded.
const servers = {
  off: await startFakeSsp(telemetry.off, [telemetry.off.rpcInterceptor()], undefined, 0),
  on: await startFakeSsp(telemetry.on, [telemetry.on.rpcInterceptor()], undefined, 0),
};
const change = { table: "user", op: Operation.CREATE, id: "user:1" };
const headers = { authorization: "Bearer bench", traceparent: TRACEPARENT };
const ingestOn = Object.fromEntries(
  modes.map((mode) => {
    const client = createClient(StreamProcessorService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${servers[mode].port}` }));
    return [mode, () => client.ingest({ change }, { headers })];
  }),
) as Record<Mode, () => Promise<unknown>>;
for (const mode of modes) await ratePerSecond(ingestOn[mode], 1); // warm up
const e2e = { off: [] as number[], on: [] as number[] };
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of modes) e2e[mode].push(await ratePerSecond(ingestOn[mode], SECONDS));
  ratios.push((e2e.on.at(-1) ?? NaN) / (e2e.off.at(-1) ?? NaN));
}
const slower = (1 - median(ratios)) * 100;
console.log(`end to end (Connect gRPC over HTTP/2, ${CONCURRENCY} concurrent clients, ${SECONDS} s per run, ${ROUNDS} alternated pairs):`);
console.log(`  off ${median(e2e.off).toFixed(0)} RPC/s   on ${median(e2e.on).toFixed(0)} RPC/s   on is ${slower.toFixed(1)}% slower (median of pair ratios; target ≤ 15%)`);
console.log(`  runs off: ${e2e.off.map((r) => r.toFixed(0)).join(", ")}`);
console.log(`  runs on:  ${e2e.on.map((r) => r.toFixed(0)).join(", ")}`);

for (const mode of modes) {
  await servers[mode].close();
  await telemetry[mode].shutdown();
}

// What SSP's telemetry costs per RPC: the Connect interceptor (server span,
// traceparent extraction, RPC duration histogram) plus the handler's two child
// spans and one ingest metric, with tracing and metrics on versus off.
//
//   node bench/telemetry-overhead.ts                  (about a minute)
//   BENCH_RPCS=20000 BENCH_ROUNDS=5 node bench/telemetry-overhead.ts
//
// Two measurements, both in CPU time of the process serving (not wall time), so
// other processes on a busy machine do not blur them; rounds alternate off/on.
// 1. in process: the interceptor chain around a handler that does nothing else,
//    called directly: the absolute cost in µs of CPU per call;
// 2. end to end: a real Connect server over HTTP/2 on loopback, loaded by 64
//    concurrent Connect gRPC clients in a child process: CPU µs the server spends
//    per RPC. A CPU-bound server's throughput is the inverse, so the ratio is the
//    slowdown (DESIGN.md target: on ≤ 15% slower). Wall-clock rates are printed too.
// "On" exports spans through the batch span processor to an exporter that drops
// them, which is what an OTLP exporter costs SSP's request path (the network send
// happens off the request path, in batches).

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

// Node runs this file by stripping its types; the project's sources use `.js`
// specifiers for `.ts` files and gen/ uses TypeScript enums, so imported project
// files are resolved and transformed here, before anything of the project loads.
// A variable specifier: tsc does not resolve it, and Node loads the .ts as written.
const hooks = "./lib/ts-hooks.ts";
await import(hooks);

const { create } = await import("@bufbuild/protobuf");
const { createClient, createContextValues } = await import("@connectrpc/connect");
const { createGrpcTransport } = await import("@connectrpc/connect-node");
const { IngestRequestSchema, IngestResponseSchema, Operation, StreamProcessorService } = await import("../gen/spooky/ssp/v1/ssp_pb.js");
const { setupTelemetry } = await import("../src/telemetry/index.js");
const { startFakeSsp } = await import("../test/telemetry/fake-ssp-server.js");

type Telemetry = Awaited<ReturnType<typeof setupTelemetry>>;
type Mode = "off" | "on";

const RPCS = Number(process.env.BENCH_RPCS ?? "20000");
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

/** CPU µs (user + system) of this process spent in `work`, and the wall seconds it took. */
async function measured(work: () => Promise<void>): Promise<{ cpuMicros: number; seconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { cpuMicros: used.user + used.system, seconds: (performance.now() - started) / 1000 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const modes = ["off", "on"] as const;

/** Client mode (a child process): on each "run N" line, N RPCs with 64 callers, then "done". */
async function runClient(port: number): Promise<void> {
  const client = createClient(StreamProcessorService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const change = { table: "user", op: Operation.CREATE, id: "user:1" };
  const headers = { authorization: "Bearer bench", traceparent: TRACEPARENT };
  const run = async (count: number): Promise<void> => {
    let left = count;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (left > 0) {
          left -= 1;
          await client.ingest({ change }, { headers });
        }
      }),
    );
  };
  await run(2000); // warm up both sides
  process.stdout.write("ready\n");
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, count] = line.split(" ");
    if (command !== "run") break;
    await run(Number(count));
    process.stdout.write("done\n");
  }
}

/** Starts a client process against `port`; `run(n)` resolves when it has made n RPCs. */
async function spawnClient(port: number): Promise<{ run(count: number): Promise<void>; stop(): void }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--client", String(port)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const expect = async (word: string): Promise<void> => {
    const { value } = await lines.next();
    if (value !== word) throw new Error(`client said ${String(value)}, expected ${word}`);
  };
  await expect("ready");
  return {
    async run(count) {
      child.stdin.write(`run ${count}\n`);
      await expect("done");
    },
    stop: () => void child.stdin.end(),
  };
}

if (process.argv[2] === "--client") {
  await runClient(Number(process.argv[3]));
  process.exit(0);
}

const telemetry = { off: await setup("off"), on: await setup("on") };

// 1. In process.
const direct = { off: directCaller(telemetry.off), on: directCaller(telemetry.on) };
const calls = async (call: () => Promise<unknown>, n: number) => {
  for (let i = 0; i < n; i++) await call();
};
const micro = { off: [] as number[], on: [] as number[] };
for (const mode of modes) await calls(direct[mode], 20_000); // warm up
for (let round = 0; round < ROUNDS * 2; round++) {
  for (const mode of modes) micro[mode].push((await measured(() => calls(direct[mode], 20_000))).cpuMicros / 20_000);
}
const microOff = median(micro.off);
const microOn = median(micro.on);
console.log(`in process (interceptor + 2 child spans + ingest metric, no network), CPU per call, median of ${ROUNDS * 2} alternated rounds:`);
console.log(`  off ${microOff.toFixed(2)} µs   on ${microOn.toFixed(2)} µs   telemetry costs ${(microOn - microOff).toFixed(2)} µs per call`);

// 2. End to end: both servers stay up, each with its own client process; rounds
// alternate which one is loaded.
const servers = {
  off: await startFakeSsp(telemetry.off, [telemetry.off.rpcInterceptor()], undefined, 0),
  on: await startFakeSsp(telemetry.on, [telemetry.on.rpcInterceptor()], undefined, 0),
};
const clients = { off: await spawnClient(servers.off.port), on: await spawnClient(servers.on.port) };
const cpuPerRpc = { off: [] as number[], on: [] as number[] };
const rates = { off: [] as number[], on: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of modes) {
    const { cpuMicros, seconds } = await measured(() => clients[mode].run(RPCS));
    cpuPerRpc[mode].push(cpuMicros / RPCS);
    rates[mode].push(RPCS / seconds);
  }
}
const cpuOff = median(cpuPerRpc.off);
const cpuOn = median(cpuPerRpc.on);
console.log(`end to end (Connect gRPC over HTTP/2, ${CONCURRENCY} concurrent clients in another process, ${RPCS} RPCs per run, ${ROUNDS} alternated pairs):`);
console.log(
  `  server CPU per RPC: off ${cpuOff.toFixed(1)} µs   on ${cpuOn.toFixed(1)} µs   ` +
    `=> on is ${((1 - cpuOff / cpuOn) * 100).toFixed(1)}% slower at saturation (target ≤ 15%)`,
);
console.log(`  wall-clock rate (shared machine, for reference): off ${median(rates.off).toFixed(0)} RPC/s   on ${median(rates.on).toFixed(0)} RPC/s`);

for (const mode of modes) {
  clients[mode].stop();
  await servers[mode].close();
  await telemetry[mode].shutdown();
}
process.exit(0);

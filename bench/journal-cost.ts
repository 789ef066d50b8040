// What the journal costs ingest throughput: the real core (circuit, journal,
// edges on an embedded surrealkv SurrealDB, delta hub) behind the real server,
// started with SSP_JOURNAL=1 and with SSP_JOURNAL=0, each loaded by 64
// concurrent single-record Ingest calls (Connect gRPC clients over HTTP/2 on
// loopback, in this process) for a few seconds. Rounds alternate on/off so a
// busy machine's drift hits both. DESIGN.md target: on ≥ 70% of off.
//
//   node bench/journal-cost.ts                      (about 40 s)
//   BENCH_SECONDS=10 BENCH_ROUNDS=5 BENCH_VIEWS=100 BENCH_SURREAL=mem node bench/journal-cost.ts

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

// Node runs this file by stripping its types; the project's sources use `.js`
// specifiers for `.ts` files and gen/ uses TypeScript enums, so project files
// are resolved and transformed here, before anything of the project loads.
// A variable specifier: tsc does not resolve it, and Node loads the .ts as written.
const hooks = "./lib/ts-hooks.ts";
await import(hooks);

const { pino } = await import("pino");
const { createClient } = await import("@connectrpc/connect");
const { createGrpcTransport } = await import("@connectrpc/connect-node");
const { Operation, StreamProcessorService } = await import("../gen/spooky/ssp/v1/ssp_pb.js");
const { loadConfig } = await import("../src/config.js");
const { createCore } = await import("../src/core/create-core.js");
const { startServer } = await import("../src/server/server.js");
const { setupTelemetry } = await import("../src/telemetry/index.js");

const SECONDS = Number(process.env.BENCH_SECONDS ?? "5");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
/** surrealkv (the default, as deployed) or mem (to see the journal's cost without the edges' fsync). */
const SURREAL = process.env.BENCH_SURREAL ?? "surrealkv";
const VIEWS = Number(process.env.BENCH_VIEWS ?? "10");
const CONCURRENCY = 64;
/** Client connections; the 64 callers share them round-robin. */
const CONNECTIONS = 4;
const ROOMS = 10;

type Mode = "journal on" | "journal off";

/** One run: a fresh data dir, the core and server up, views registered, then the timed load. */
async function run(mode: Mode): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-journal-cost-"));
  const config = loadConfig({
    SPOOKY_INSECURE_DEV: "1",
    SPOOKY_DATA_DIR: dir,
    SURREALDB_URL: SURREAL === "mem" ? "mem://" : `surrealkv://${path.join(dir, "surreal")}`,
    LISTEN_ADDR: "127.0.0.1:0",
    SSP_JOURNAL: mode === "journal on" ? "1" : "0",
  });
  const logger = pino({ level: "silent" });
  const telemetry = await setupTelemetry({ serviceVersion: "bench", enableTracing: false });
  const core = await createCore(config, logger, telemetry);
  const server = await startServer(config, core, logger);
  try {
    const clients = Array.from({ length: CONNECTIONS }, () =>
      createClient(StreamProcessorService, createGrpcTransport({ baseUrl: server.url })),
    );
    for (let v = 0; v < VIEWS; v++) {
      await clients[0]!.registerView({
        id: `room-${v}`,
        surql: "SELECT * FROM message WHERE room = $room",
        params: { room: `r${v % ROOMS}` },
        clientId: "bench",
      });
    }
    let done = 0;
    let next = 0;
    const until = performance.now() + SECONDS * 1000;
    const caller = async (i: number) => {
      const client = clients[i % CONNECTIONS]!;
      while (performance.now() < until) {
        const n = next++;
        await client.ingest({
          change: { op: Operation.CREATE, id: `message:${n}`, record: { room: `r${n % ROOMS}`, text: `hello ${n}` } as never },
        });
        done++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => caller(i)));
    return done / ((performance.now() - started) / 1000);
  } finally {
    await server.close();
    await core.close();
    await telemetry.shutdown();
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

const rates: Record<Mode, number[]> = { "journal on": [], "journal off": [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const mode of (round % 2 === 1 ? ["journal on", "journal off"] : ["journal off", "journal on"]) as Mode[]) {
    const rate = await run(mode);
    rates[mode].push(rate);
    console.log(`round ${round} ${mode.padEnd(11)} ${Math.round(rate).toLocaleString("en-US").padStart(8)} records/s`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const on = median(rates["journal on"]);
const off = median(rates["journal off"]);
console.log(
  `\n${CONCURRENCY} concurrent Ingest calls, ${VIEWS} views, ${SURREAL} edges, ${SECONDS} s per run, median of ${ROUNDS}:\n` +
    `  journal on   ${Math.round(on).toLocaleString("en-US")} records/s\n` +
    `  journal off  ${Math.round(off).toLocaleString("en-US")} records/s\n` +
    `  on / off     ${((on / off) * 100).toFixed(0)}% (target ≥ 70%)`,
);
process.exit(0);

/**
 * The service benchmark (`make bench-e2e`): the real server in a child process,
 * embedded surrealkv on disk, driven over gRPC (Connect's gRPC transport, HTTP/2)
 * by concurrent clients in this process. Phases, in order, on one server:
 * registrations (100 views), single `Ingest` (64 callers), `IngestBatch` (64
 * callers × 100 records), registration rate (64 callers, over the loaded table),
 * `WatchDeltas` delivery with 1,000 open streams; then, with the server stopped,
 * the same edge transactions straight to SurrealDB (the physical limit), and a
 * second server with the journal off for the journal's cost.
 */
import path from "node:path";
import { EdgeStatus, type ViewDelta } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { EdgeOp, ViewMeta } from "../../src/edges/types.js";
import { machineInfo } from "../engine/machine.js";
import { summarize, type LatencySummary } from "../engine/stats.js";
import { openBaseline, replay } from "./service-baseline.js";
import { closedLoop, type LoadResult } from "./service-load.js";
import { AUTH, ROOT, startService, type ServiceProcess, type SspClient } from "./service-process.js";
import { fmt, machineLine, ms, table, targetsTable, writeResultFiles, type TargetCheck } from "./service-report.js";
import { CLIENT_ID, edgeOpOf, MessageStream, roomOf, VIEW_SURQL, viewIdOf } from "./service-workload.js";

const env = process.env;
const P = {
  seed: Number(env.BENCH_SEED ?? 1),
  seconds: Number(env.BENCH_SECONDS ?? 15),
  views: Number(env.BENCH_VIEWS ?? 100),
  concurrency: Number(env.BENCH_CONCURRENCY ?? 64),
  batchSize: Number(env.BENCH_BATCH ?? 100),
  connections: 8,
  streams: Number(env.BENCH_STREAMS ?? 1000),
  streamsPerConnection: 50,
  streamIngestCallers: Number(env.BENCH_STREAM_CALLERS ?? 16),
  registrations: Number(env.BENCH_REGISTRATIONS ?? 1000),
  journalOff: env.BENCH_JOURNAL_OFF !== "0",
};

interface Rate {
  readonly calls: number;
  readonly errors: number;
  readonly notCommitted: number;
  readonly seconds: number;
  readonly perS: number;
  readonly recordsPerS: number;
  readonly latencyMs: { p50: number; p99: number; max: number };
  /** Server CPU (all threads, embedded SurrealDB included) per successful call and per record, µs: what a busy shared machine blurs least. */
  readonly serverCpuUsPerCall: number;
  readonly serverCpuUsPerRecord: number;
  readonly firstError?: string | undefined;
}

/** Runs `phase` and returns its result with the server CPU seconds it used. */
async function withCpu<T>(ssp: ServiceProcess, phase: () => Promise<T>): Promise<[T, number]> {
  const before = ssp.cpuSeconds();
  const result = await phase();
  return [result, ssp.cpuSeconds() - before];
}

function rate(r: LoadResult, recordsPerCall: number, notCommitted: number, cpuSeconds: number): Rate {
  const s: LatencySummary = summarize(r.latenciesNs);
  const ok = r.calls - r.errors;
  return {
    calls: r.calls,
    errors: r.errors,
    notCommitted,
    seconds: Math.round(r.seconds * 100) / 100,
    perS: Math.round(ok / r.seconds),
    recordsPerS: Math.round((ok * recordsPerCall) / r.seconds),
    latencyMs: { p50: s.p50Us / 1000, p99: s.p99Us / 1000, max: s.maxUs / 1000 },
    serverCpuUsPerCall: Math.round((cpuSeconds * 1e6) / Math.max(1, ok)),
    serverCpuUsPerRecord: Math.round((cpuSeconds * 1e6 * 10) / Math.max(1, ok * recordsPerCall)) / 10,
    firstError: r.firstError,
  };
}

function clients(ssp: ServiceProcess, n: number): SspClient[] {
  return Array.from({ length: n }, () => ssp.client());
}

/** The fixed cost of an RPC through the whole server stack: GetServerInfo does no work. */
async function trivialPhase(ssp: ServiceProcess): Promise<Rate> {
  const cs = clients(ssp, P.connections);
  const [r, cpu] = await withCpu(ssp, () => closedLoop(P.concurrency, Math.min(5, P.seconds), (caller) => cs[caller % cs.length]!.getServerInfo({}, { headers: AUTH })));
  return rate(r, 1, 0, cpu);
}

async function registerViews(ssp: ServiceProcess): Promise<number[]> {
  const client = ssp.client();
  const latencies: number[] = [];
  for (let i = 0; i < P.views; i++) {
    const t0 = process.hrtime.bigint();
    await client.registerView({ id: viewIdOf(i), surql: VIEW_SURQL, params: { room: roomOf(i) }, clientId: CLIENT_ID }, { headers: AUTH });
    latencies.push(Number(process.hrtime.bigint() - t0));
  }
  return latencies;
}

/** Single Ingest RPCs from `concurrency` callers; returns the rate and the edge ops SSP owed, in acknowledgement order. */
async function ingestPhase(ssp: ServiceProcess, seed: number): Promise<{ rate: Rate; ops: EdgeOp[] }> {
  const cs = clients(ssp, P.connections);
  const stream = new MessageStream(seed, P.views);
  const ops: EdgeOp[] = [];
  let notCommitted = 0;
  const [r, cpu] = await withCpu(ssp, () =>
    closedLoop(P.concurrency, P.seconds, async (caller) => {
      const res = await cs[caller % cs.length]!.ingest({ change: stream.mixed() }, { headers: AUTH });
      if (res.edges !== EdgeStatus.COMMITTED) notCommitted += 1;
      ops.push(edgeOpOf(res.views));
    }),
  );
  return { rate: rate(r, 1, notCommitted, cpu), ops };
}

async function batchPhase(ssp: ServiceProcess, seed: number): Promise<{ rate: Rate; ops: EdgeOp[] }> {
  const cs = clients(ssp, P.connections);
  const stream = new MessageStream(seed, P.views, 10_000_000);
  const ops: EdgeOp[] = [];
  let notCommitted = 0;
  const [r, cpu] = await withCpu(ssp, () =>
    closedLoop(P.concurrency, P.seconds, async (caller) => {
      const changes = Array.from({ length: P.batchSize }, () => stream.mixed());
      const res = await cs[caller % cs.length]!.ingestBatch({ changes }, { headers: AUTH });
      if (res.edges !== EdgeStatus.COMMITTED) notCommitted += 1;
      ops.push(edgeOpOf(res.views));
    }),
  );
  return { rate: rate(r, P.batchSize, notCommitted, cpu), ops };
}

async function registrationPhase(ssp: ServiceProcess): Promise<{ register: Rate; unregister: Rate; meanMembers: number }> {
  const cs = clients(ssp, P.connections);
  let members = 0;
  let notCommitted = 0;
  let next = 0;
  const regCpu0 = ssp.cpuSeconds();
  const reg = await closedLoop(
    P.concurrency,
    P.seconds,
    async (caller) => {
      const i = next++;
      const res = await cs[caller % cs.length]!.registerView(
        { id: `reg-${i}`, surql: VIEW_SURQL, params: { room: roomOf(i % P.views) }, clientId: CLIENT_ID },
        { headers: AUTH },
      );
      members += res.members.length;
      if (res.edges !== EdgeStatus.COMMITTED) notCommitted += 1;
    },
    P.registrations,
  );
  const regCpu = ssp.cpuSeconds() - regCpu0;
  const registered = next;
  let k = 0;
  let unNotCommitted = 0;
  const unregCpu0 = ssp.cpuSeconds();
  const unreg = await closedLoop(
    P.concurrency,
    3_600,
    async (caller) => {
      const res = await cs[caller % cs.length]!.unregisterView({ id: `reg-${k++}` }, { headers: AUTH });
      if (res.edges !== EdgeStatus.COMMITTED) unNotCommitted += 1;
    },
    registered,
  );
  const unregCpu = ssp.cpuSeconds() - unregCpu0;
  return { register: rate(reg, 1, notCommitted, regCpu), unregister: rate(unreg, 1, unNotCommitted, unregCpu), meanMembers: Math.round(members / Math.max(1, registered)) };
}

interface StreamResult {
  readonly streams: number;
  readonly openSeconds: number;
  readonly ingests: Rate;
  readonly expected: number;
  readonly delivered: number;
  /** From the ingest's acknowledgement at its caller to the delta's arrival at a stream, ms (negative: the delta came first). */
  readonly deliveryMs: { p50: number; p99: number; max: number; min: number };
  /** From the ingest's sending to the delta's arrival, ms: the latency a watcher sees end to end. */
  readonly fromSendMs: { p50: number; p99: number; max: number };
  readonly streamErrors: number;
}

async function streamPhase(ssp: ServiceProcess, seed: number): Promise<StreamResult> {
  const connections = Math.ceil(P.streams / P.streamsPerConnection);
  const streamClients = clients(ssp, connections);
  const abort = new AbortController();
  const arrivals: [string, number][] = [];
  let snapshots = 0;
  let streamErrors = 0;
  const t0 = performance.now();
  const done = Array.from({ length: P.streams }, async (_, s) => {
    try {
      const stream = streamClients[s % connections]!.watchDeltas({ viewIds: [viewIdOf(s % P.views)] }, { headers: AUTH, signal: abort.signal });
      for await (const msg of stream) {
        if (msg.kind.case === "snapshot") snapshots += 1;
        else if (msg.kind.case === "delta") {
          const at = performance.now();
          for (const d of (msg.kind.value as ViewDelta).deltas) arrivals.push([d.id, at]);
        }
      }
    } catch {
      if (!abort.signal.aborted) streamErrors += 1;
    }
  });
  while (snapshots + streamErrors < P.streams) {
    if (performance.now() - t0 > 120_000) throw new Error(`only ${snapshots} of ${P.streams} streams opened in 120 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const openSeconds = (performance.now() - t0) / 1000;
  const cs = clients(ssp, P.connections);
  const gen = new MessageStream(seed, P.views, 20_000_000);
  const acked = new Map<string, number>();
  const sentAt = new Map<string, number>();
  let expected = 0;
  let notCommitted = 0;
  const [r, cpu] = await withCpu(ssp, () =>
    closedLoop(P.streamIngestCallers, P.seconds, async (caller) => {
      const change = gen.create();
      sentAt.set(change.id, performance.now());
      const res = await cs[caller % cs.length]!.ingest({ change }, { headers: AUTH });
      acked.set(change.id, performance.now());
      if (res.edges !== EdgeStatus.COMMITTED) notCommitted += 1;
      for (const v of res.views) expected += Math.floor(P.streams / P.views) + (Number(v.viewId.slice("room-view-".length)) < P.streams % P.views ? 1 : 0);
    }),
  );
  await new Promise((res) => setTimeout(res, 1_000));
  abort.abort();
  await Promise.all(done);
  const delays: number[] = [];
  const fromSend: number[] = [];
  for (const [id, at] of arrivals) {
    const ack = acked.get(id);
    if (ack !== undefined) delays.push((at - ack) * 1e6);
    const sent = sentAt.get(id);
    if (sent !== undefined && ack !== undefined) fromSend.push((at - sent) * 1e6);
  }
  const sorted = Float64Array.from(delays).sort();
  const sortedSend = Float64Array.from(fromSend).sort();
  const at = (xs: Float64Array, p: number) => ms(xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(p * xs.length) - 1))] ?? Number.NaN);
  const pick = (p: number) => at(sorted, p);
  return {
    streams: P.streams,
    openSeconds: Math.round(openSeconds * 100) / 100,
    ingests: rate(r, 1, notCommitted, cpu),
    expected,
    delivered: delays.length,
    deliveryMs: { p50: pick(0.5), p99: pick(0.99), max: pick(1), min: ms(sorted[0] ?? Number.NaN) },
    fromSendMs: { p50: at(sortedSend, 0.5), p99: at(sortedSend, 0.99), max: at(sortedSend, 1) },
    streamErrors,
  };
}

function viewMetaOps(): EdgeOp[] {
  return Array.from({ length: P.views }, (_, i) => {
    const meta: ViewMeta = { viewId: viewIdOf(i), clientId: CLIENT_ID, surrealQL: VIEW_SURQL, params: { room: roomOf(i) }, ttlMs: 0, lastActiveAt: Date.now() };
    return { kind: "replace", meta, changes: { viewId: meta.viewId, clientId: CLIENT_ID, upserts: [], deletes: [] } } as const;
  });
}

async function baselinePhase(singles: readonly EdgeOp[], batches: readonly EdgeOp[]) {
  const base = await openBaseline();
  try {
    await replay(base.db, viewMetaOps(), 1);
    const cpu0 = process.cpuUsage();
    const single = await replay(base.db, singles, P.concurrency);
    const cpu1 = process.cpuUsage();
    const batch = await replay(base.db, batches, P.concurrency);
    const cpu2 = process.cpuUsage();
    const cpuUs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => b.user - a.user + (b.system - a.system);
    const out = (r: typeof single, perCall: number, us: number) => ({
      ops: r.calls,
      errors: r.errors,
      transactions: r.transactions,
      seconds: Math.round(r.seconds * 100) / 100,
      perS: Math.round((r.calls - r.errors) / r.seconds),
      recordsPerS: Math.round(((r.calls - r.errors) * perCall) / r.seconds),
      cpuUsPerRecord: Math.round((us * 10) / Math.max(1, r.calls * perCall)) / 10,
      firstError: r.firstError,
    });
    return { ingest: out(single, 1, cpuUs(cpu0, cpu1)), ingestBatch: out(batch, P.batchSize, cpuUs(cpu1, cpu2)) };
  } finally {
    await base.close();
  }
}

const startedAt = new Date().toISOString();
const machine = machineInfo();
const log = (s: string) => process.stderr.write(`[bench-e2e ${((performance.now()) / 1000).toFixed(0)}s] ${s}\n`);

log(`starting the server (journal on); ${P.seconds}s per phase`);
const ssp = await startService();
const rss: Record<string, number> = { start: ssp.rssBytes() };
const regLatencies = await registerViews(ssp);
log("trivial RPC phase (GetServerInfo)");
const trivial = await trivialPhase(ssp);
log("ingest phase");
const ingest = await ingestPhase(ssp, P.seed);
rss.afterIngest = ssp.rssBytes();
log("ingest batch phase");
const batch = await batchPhase(ssp, P.seed + 1);
rss.afterBatch = ssp.rssBytes();
log("registration phase");
const registration = await registrationPhase(ssp);
log(`stream phase (${P.streams} streams)`);
const streams = await streamPhase(ssp, P.seed + 2);
rss.afterStreams = ssp.rssBytes();
const info = await ssp.client().getServerInfo({}, { headers: AUTH });
const exit = await ssp.stop();
ssp.dispose();

log("baseline: the same edge transactions straight to SurrealDB");
const baseline = await baselinePhase(ingest.ops, batch.ops);

let journalOff: Rate | undefined;
if (P.journalOff) {
  log("journal off: a second server, ingest phase again");
  const off = await startService({ SSP_JOURNAL: "0" });
  await registerViews(off);
  journalOff = (await ingestPhase(off, P.seed)).rate;
  await off.stop();
  off.dispose();
}

const reg = summarize(regLatencies);
const overhead = (sspPerS: number, basePerS: number) => Math.round((basePerS / sspPerS - 1) * 1000) / 10;
const cpuOverhead = (sspUs: number, baseUs: number) => Math.round((sspUs / baseUs - 1) * 1000) / 10;
const results = {
  registerViews: { views: P.views, p50Ms: reg.p50Us / 1000, p99Ms: reg.p99Us / 1000 },
  ingest: ingest.rate,
  ingestBatch: batch.rate,
  registration,
  streams,
  baseline,
  overheadPercent: {
    ingest: overhead(ingest.rate.perS, baseline.ingest.perS),
    ingestBatch: overhead(batch.rate.recordsPerS, baseline.ingestBatch.recordsPerS),
  },
  cpuOverheadPercent: {
    ingest: cpuOverhead(ingest.rate.serverCpuUsPerRecord, baseline.ingest.cpuUsPerRecord),
    ingestBatch: cpuOverhead(batch.rate.serverCpuUsPerRecord, baseline.ingestBatch.cpuUsPerRecord),
  },
  trivialRpc: trivial,
  journal: journalOff && { offPerS: journalOff.perS, onPerS: ingest.rate.perS, onOverOff: Math.round((ingest.rate.perS / journalOff.perS) * 1000) / 1000,
    /** Off's server CPU per ingest over on's: the throughput ratio a CPU-bound server would see, less blurred by the shared machine. */
    cpuOnOverOff: Math.round((journalOff.serverCpuUsPerCall / ingest.rate.serverCpuUsPerCall) * 1000) / 1000,
    off: journalOff,
  },
  server: { rssBytes: rss, finalInfo: { views: info.views, records: Number(info.records), outboxPending: Number(info.outboxPending) }, exit },
};
const targets: TargetCheck[] = [
  { target: "Ingest RPC/s, 64 clients, 100 views", goal: "≥ 5,000", value: ingest.rate.perS, unit: "RPC/s", met: ingest.rate.perS >= 5000 },
  { target: "IngestBatch records/s, 100 views", goal: "≥ 50,000", value: batch.rate.recordsPerS, unit: "rec/s", met: batch.rate.recordsPerS >= 50000 },
  { target: "SSP overhead over SurrealDB (Ingest)", goal: "≤ 25%", value: results.overheadPercent.ingest, unit: "%", met: results.overheadPercent.ingest <= 25 },
  { target: "SSP overhead over SurrealDB (IngestBatch)", goal: "≤ 25%", value: results.overheadPercent.ingestBatch, unit: "%", met: results.overheadPercent.ingestBatch <= 25 },
  { target: "same, in CPU per record (Ingest)", goal: "≤ 25%", value: results.cpuOverheadPercent.ingest, unit: "%", met: results.cpuOverheadPercent.ingest <= 25 },
  { target: "same, in CPU per record (IngestBatch)", goal: "≤ 25%", value: results.cpuOverheadPercent.ingestBatch, unit: "%", met: results.cpuOverheadPercent.ingestBatch <= 25 },
  { target: `WatchDeltas delivery p99 after the ack, ${P.streams} streams`, goal: "≤ 50 ms", value: streams.deliveryMs.p99, unit: "ms", met: streams.deliveryMs.p99 <= 50 },
];
if (results.journal) {
  targets.push({ target: "journal on / off (Ingest RPC/s; runs in sequence)", goal: "≥ 70%", value: results.journal.onOverOff * 100, unit: "%", met: results.journal.onOverOff >= 0.7 });
  targets.push({ target: "journal on / off (server CPU per ingest)", goal: "≥ 70%", value: results.journal.cpuOnOverOff * 100, unit: "%", met: results.journal.cpuOnOverOff >= 0.7 });
}
const errors = ingest.rate.errors + batch.rate.errors + registration.register.errors + registration.unregister.errors + streams.ingests.errors + streams.streamErrors;

const report = [
  machineLine("SSP service benchmark", machine, P.seed),
  `server: src/main.ts in a child process, surrealkv on disk, LOG_LEVEL=warn; clients: Connect gRPC over HTTP/2 in the bench process, ${P.connections} connections; ${P.views} views \`${VIEW_SURQL}\`; ${P.seconds}s per phase`,
  "",
  table(
    ["phase", "calls", "errors", "not committed", "RPC/s", "records/s", "p50 ms", "p99 ms", "max ms", "server CPU µs/call", "µs/record"],
    [
      [`GetServerInfo (${P.concurrency} callers; RPC floor)`, trivial],
      [`Ingest (${P.concurrency} callers)`, ingest.rate],
      [`IngestBatch ×${P.batchSize} (${P.concurrency} callers)`, batch.rate],
      [`RegisterView (${P.concurrency} callers, ~${registration.meanMembers} members)`, registration.register],
      ["UnregisterView", registration.unregister],
      ...(journalOff ? [["Ingest, journal off", journalOff] as [string, Rate]] : []),
      [`Ingest while streaming (${P.streamIngestCallers} callers)`, streams.ingests],
    ].map(([name, r]) => {
      const x = r as Rate;
      return [name as string, fmt(x.calls, 0), fmt(x.errors, 0), fmt(x.notCommitted, 0), fmt(x.perS, 0), fmt(x.recordsPerS, 0), fmt(x.latencyMs.p50, 2), fmt(x.latencyMs.p99, 2), fmt(x.latencyMs.max, 1), fmt(x.serverCpuUsPerCall, 0), fmt(x.serverCpuUsPerRecord, 1)];
    }),
  ),
  "",
  table(
    ["physical limit (same edge txs, straight to SurrealDB)", "ops", "transactions", "ops/s", "records/s", "SSP records/s", "SSP overhead", "CPU µs/record", "SSP server", "SSP CPU overhead"],
    [
      ["Ingest ops, 64 callers, group commit", baseline.ingest, ingest.rate, results.overheadPercent.ingest, results.cpuOverheadPercent.ingest] as const,
      ["IngestBatch ops, 64 callers, group commit", baseline.ingestBatch, batch.rate, results.overheadPercent.ingestBatch, results.cpuOverheadPercent.ingestBatch] as const,
    ].map(([name, b, s, o, c]) => [
      name,
      fmt(b.ops, 0),
      fmt(b.transactions, 0),
      fmt(b.perS, 0),
      fmt(b.recordsPerS, 0),
      fmt(s.recordsPerS, 0),
      `${fmt(o, 1)}%`,
      fmt(b.cpuUsPerRecord, 1),
      fmt(s.serverCpuUsPerRecord, 1),
      `${fmt(c, 1)}%`,
    ]),
  ),
  "",
  table(
    ["WatchDeltas", "streams", "open s", "deltas expected", "delivered", "p50 ms", "p99 ms", "max ms", "stream errors"],
    [
      ["ingest acknowledged → delta arrives", fmt(streams.streams, 0), fmt(streams.openSeconds, 2), fmt(streams.expected, 0), fmt(streams.delivered, 0), fmt(streams.deliveryMs.p50, 2), fmt(streams.deliveryMs.p99, 2), fmt(streams.deliveryMs.max, 1), fmt(streams.streamErrors, 0)],
      ["ingest sent → delta arrives", "", "", "", "", fmt(streams.fromSendMs.p50, 2), fmt(streams.fromSendMs.p99, 2), fmt(streams.fromSendMs.max, 1), ""],
    ],
  ),
  "",
  `registration of the first ${P.views} views (empty table, one caller): p50 ${fmt(results.registerViews.p50Ms, 2)} ms, p99 ${fmt(results.registerViews.p99Ms, 2)} ms; server RSS ${Object.entries(rss).map(([k, v]) => `${k} ${fmt(v / 2 ** 20, 0)} MiB`).join(", ")}`,
  "(negative: the delta reached the watcher before the ingest's caller had its answer, which waits for the edge commit)",
  "",
  targetsTable(targets),
  "",
  `errors: ${errors}`,
].join("\n");
console.log(report);
const files = writeResultFiles(
  { startedAt, machine, seed: P.seed, parameters: P, results, targets, errors } as never,
  path.join(ROOT, "bench/results"),
  "service",
);
console.log(`\nwrote ${files.map((f) => path.relative(ROOT, f)).join(", ")}`);

/**
 * The bounded soak: the real server (child process, surrealkv on disk) under a
 * fixed ingest rate (open loop: a late call is not made up for, it is counted),
 * with one WatchDeltas subscriber per view that resumes from its last sequence
 * whenever its stream ends, and a registration + unregistration every few seconds.
 * Sampled over time: the server's resident memory (/proc/<pid>/status) and, as a
 * proxy for its event-loop delay (the server cannot be instrumented from here), the
 * round trip of a GetServerInfo sent every 100 ms on a connection of its own.
 * At the end: errors (must be 0), gaps in any stream's sequence, resumes, and that
 * SurrealDB's edges equal the views' membership, checked twice: ResyncEdges must
 * find nothing to fix, and after the server stops, its surrealkv files are opened
 * and every edge compared with the membership read just before.
 */
import path from "node:path";
import type { ViewDelta } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { loadMigrations, migrate } from "../../src/edges/index.js";
import { SurrealConnection } from "../../src/surreal/index.js";
import { readEdges } from "../../test/edges/fixtures.js";
import { machineInfo } from "../engine/machine.js";
import { percentile } from "../engine/stats.js";
import { writeSoakChart } from "./soak-chart.js";
import { AUTH, ROOT, startService, type SspClient } from "./service-process.js";
import { fmt, machineLine, table, writeResultFiles } from "./service-report.js";
import { CLIENT_ID, MessageStream, roomOf, VIEW_SURQL, viewIdOf } from "./service-workload.js";

const env = process.env;
const P = {
  seed: Number(env.SOAK_SEED ?? 1),
  seconds: Number(env.SOAK_SECONDS ?? 600),
  ratePerS: Number(env.SOAK_RATE ?? 100),
  subscribers: Number(env.SOAK_SUBSCRIBERS ?? 100),
  registerEveryMs: Number(env.SOAK_REGISTER_EVERY_MS ?? 5_000),
  probeEveryMs: 100,
  maxInFlight: 256,
};
const sampleEveryMs = Math.max(1_000, Math.round((P.seconds * 1000) / 120));

export interface SoakSample {
  readonly t: number;
  readonly rssMiB: number;
  readonly ingestsPerS: number;
  readonly ingestP99Ms: number;
  readonly probeP99Ms: number;
  readonly errors: number;
}

const log = (s: string) => process.stderr.write(`[soak ${(performance.now() / 1000).toFixed(0)}s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p99 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.99);
const round2 = (x: number) => Math.round(x * 100) / 100;

const startedAt = new Date().toISOString();
const machine = machineInfo();
log(`starting the server; ${P.seconds}s at ${P.ratePerS} ingests/s, ${P.subscribers} subscribers`);
const ssp = await startService();
const admin = ssp.client();
const views = Array.from({ length: P.subscribers }, (_, i) => viewIdOf(i));
for (const [i, id] of views.entries()) {
  await admin.registerView({ id, surql: VIEW_SURQL, params: { room: roomOf(i) }, clientId: CLIENT_ID }, { headers: AUTH });
}

const errors: string[] = [];
const fail = (what: string, err: unknown) => {
  if (errors.length < 20) errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  errorCount += 1;
};
let errorCount = 0;

// Subscribers: one stream per view, resumed from the last sequence seen.
const stop = new AbortController();
const lastSeq = new Map<string, bigint>();
let resumes = 0;
let resets = 0;
let gaps = 0;
let deltasReceived = 0;
const streamClients: SspClient[] = Array.from({ length: Math.ceil(P.subscribers / 50) }, () => ssp.client());
const subscriber = async (viewId: string, n: number): Promise<void> => {
  const client = streamClients[n % streamClients.length]!;
  while (!stop.signal.aborted) {
    const seen = lastSeq.get(viewId);
    try {
      const stream = client.watchDeltas({ viewIds: [viewId], resumeFrom: seen === undefined ? {} : { [viewId]: seen } }, { headers: AUTH, signal: stop.signal });
      for await (const msg of stream) {
        if (msg.kind.case === "snapshot") {
          if (msg.kind.value.reset) resets += 1;
          lastSeq.set(viewId, msg.kind.value.sequence);
        } else if (msg.kind.case === "delta") {
          const d: ViewDelta = msg.kind.value;
          const prev = lastSeq.get(viewId);
          if (prev !== undefined && d.sequence !== prev + 1n) gaps += 1;
          lastSeq.set(viewId, d.sequence);
          deltasReceived += 1;
        } else if (msg.kind.case === "closed") {
          fail(`stream ${viewId}`, "closed unexpectedly");
          return;
        }
      }
    } catch (err) {
      if (stop.signal.aborted) return;
      if (errors.length < 20) errors.push(`stream ${viewId} ended (resuming): ${err instanceof Error ? err.message : String(err)}`);
    }
    if (stop.signal.aborted) return;
    resumes += 1;
    await sleep(50);
  }
};
const subscriptions = views.map((v, i) => subscriber(v, i));
while (lastSeq.size < views.length) await sleep(20);

// Load: a fixed rate of ingests from a pool of connections, at most maxInFlight at once.
const ingestClients = Array.from({ length: 4 }, () => ssp.client());
const gen = new MessageStream(P.seed, P.subscribers);
let inFlight = 0;
let sent = 0;
let skipped = 0;
let windowIngests = 0;
let windowLatencies: number[] = [];
const allIngestLatencies: number[] = [];
const calls = new Set<Promise<void>>();
const track = (p: Promise<void>) => {
  calls.add(p);
  void p.finally(() => calls.delete(p));
};
const ingestOnce = async (): Promise<void> => {
  inFlight += 1;
  const t0 = performance.now();
  try {
    await ingestClients[sent % ingestClients.length]!.ingest({ change: gen.mixed() }, { headers: AUTH });
    const ms = performance.now() - t0;
    windowLatencies.push(ms);
    allIngestLatencies.push(ms);
    windowIngests += 1;
  } catch (err) {
    fail("ingest", err);
  } finally {
    inFlight -= 1;
  }
};

// Registrations: a temporary view registered, the previous one unregistered.
let registrations = 0;
const registrationLatencies: number[] = [];
const registerOnce = async (k: number): Promise<void> => {
  const t0 = performance.now();
  try {
    await admin.registerView({ id: `soak-tmp-${k}`, surql: VIEW_SURQL, params: { room: roomOf(k % P.subscribers) }, clientId: "soak-tmp" }, { headers: AUTH });
    registrationLatencies.push(performance.now() - t0);
    registrations += 1;
    if (k > 0) await admin.unregisterView({ id: `soak-tmp-${k - 1}` }, { headers: AUTH });
  } catch (err) {
    fail("registration", err);
  }
};

// Probe: the round trip of a call that does no work, on its own connection.
const probeClient = ssp.client();
let windowProbes: number[] = [];
const allProbes: number[] = [];
const probeOnce = async (): Promise<void> => {
  const t0 = performance.now();
  try {
    await probeClient.getServerInfo({}, { headers: AUTH });
    const ms = performance.now() - t0;
    windowProbes.push(ms);
    allProbes.push(ms);
  } catch (err) {
    fail("probe", err);
  }
};

const samples: SoakSample[] = [];
const t0 = performance.now();
const endAt = t0 + P.seconds * 1000;
let nextIngest = t0;
let nextRegistration = t0 + P.registerEveryMs;
let nextProbe = t0;
let nextSample = t0 + sampleEveryMs;
let lastSampleAt = t0;
let k = 0;
log("load running");
while (performance.now() < endAt) {
  const now = performance.now();
  // Open loop: the calls due by now are made now (capped), and a tick too late is counted, not made up for.
  while (nextIngest <= now) {
    if (inFlight < P.maxInFlight) {
      sent += 1;
      track(ingestOnce());
    } else skipped += 1;
    nextIngest += 1000 / P.ratePerS;
  }
  if (now >= nextRegistration) {
    track(registerOnce(k++));
    nextRegistration += P.registerEveryMs;
  }
  if (now >= nextProbe) {
    track(probeOnce());
    nextProbe += P.probeEveryMs;
  }
  if (now >= nextSample) {
    const window = (now - lastSampleAt) / 1000;
    samples.push({
      t: round2((now - t0) / 1000),
      rssMiB: round2(ssp.rssBytes() / 2 ** 20),
      ingestsPerS: Math.round(windowIngests / window),
      ingestP99Ms: round2(p99(windowLatencies)),
      probeP99Ms: round2(p99(windowProbes)),
      errors: errorCount,
    });
    windowIngests = 0;
    windowLatencies = [];
    windowProbes = [];
    lastSampleAt = now;
    nextSample += sampleEveryMs;
    if (samples.length % 10 === 0) log(`t=${samples.at(-1)!.t}s rss ${samples.at(-1)!.rssMiB} MiB, ${samples.at(-1)!.ingestsPerS}/s`);
  }
  await sleep(Math.max(0, Math.min(nextIngest, nextProbe, nextSample, nextRegistration) - performance.now()));
}
const loadSeconds = (performance.now() - t0) / 1000;
log("load stopped; draining");
while (calls.size > 0) await Promise.allSettled([...calls]);
await admin.unregisterView({ id: `soak-tmp-${k - 1}` }, { headers: AUTH }).catch((err: unknown) => k > 0 && fail("unregister", err));
await sleep(1_000);
stop.abort();
await Promise.all(subscriptions);

// The end state: the membership, then ResyncEdges (must fix nothing), then SurrealDB itself.
const membership = new Map<string, string>();
for (const id of views) {
  const view = await admin.getView({ id }, { headers: AUTH });
  for (const m of view.members) {
    const colon = m.id.indexOf(":");
    membership.set(`${id} ${JSON.stringify([m.id.slice(0, colon), m.id.slice(colon + 1)])}`, String(m.version));
  }
}
const info = await admin.getServerInfo({}, { headers: AUTH });
const resync = await admin.resyncEdges({ viewId: "" }, { headers: AUTH });
const finalRss = ssp.rssBytes();
const exit = await ssp.stop();

const direct = await (async () => {
  const migrations = await loadMigrations();
  const db = await SurrealConnection.open({
    url: ssp.surrealUrl,
    namespace: "spooky",
    database: "ssp",
    onConnected: async (conn) => {
      await migrate(conn, migrations);
    },
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!db.isConnected) {
      if (Date.now() > deadline) throw new Error("could not open the server's surrealkv after it stopped");
      await sleep(200);
    }
    const edges = await readEdges(db);
    let missing = 0;
    let wrongVersion = 0;
    let extra = 0;
    const seen = new Set<string>();
    for (const e of edges) {
      const key = `${e.viewId} ${e.record}`;
      seen.add(key);
      const version = membership.get(key);
      if (version === undefined) extra += 1;
      else if (version !== String(e.version)) wrongVersion += 1;
    }
    for (const key of membership.keys()) if (!seen.has(key)) missing += 1;
    return { edges: edges.length, members: membership.size, missing, extra, wrongVersion, duplicates: edges.length - seen.size };
  } finally {
    await db.close();
  }
})().catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
ssp.dispose();

const rss = samples.map((s) => s.rssMiB);
const results = {
  loadSeconds: round2(loadSeconds),
  ingests: { sent, skipped, perS: Math.round((sent - skipped) / loadSeconds), p50Ms: round2(percentile([...allIngestLatencies].sort((a, b) => a - b), 0.5)), p99Ms: round2(p99(allIngestLatencies)) },
  registrations: { count: registrations, p50Ms: round2(percentile([...registrationLatencies].sort((a, b) => a - b), 0.5)), p99Ms: round2(p99(registrationLatencies)) },
  probe: { label: "GetServerInfo round trip every 100 ms (proxy for the server's event-loop delay)", count: allProbes.length, p50Ms: round2(percentile([...allProbes].sort((a, b) => a - b), 0.5)), p99Ms: round2(p99(allProbes)), maxMs: round2(Math.max(...allProbes)) },
  memory: { firstMiB: rss[0], maxMiB: Math.max(...rss), lastMiB: rss.at(-1), finalMiB: round2(finalRss / 2 ** 20) },
  streams: { subscribers: P.subscribers, deltasReceived, resumes, resets, gaps },
  errors: { count: errorCount, first: errors },
  end: {
    views: info.views,
    records: Number(info.records),
    outboxPending: Number(info.outboxPending),
    resync: { added: Number(resync.added), removed: Number(resync.removed), updated: Number(resync.updated) },
    direct,
    serverExit: exit,
  },
  samples,
};
const edgesOk =
  results.end.resync.added + results.end.resync.removed + results.end.resync.updated === 0 &&
  !("error" in direct) &&
  direct.missing + direct.extra + direct.wrongVersion + direct.duplicates === 0;
const ok = errorCount === 0 && gaps === 0 && edgesOk;

const report = [
  machineLine("SSP soak", machine, P.seed),
  `server: src/main.ts in a child process, surrealkv on disk, LOG_LEVEL=warn; ${P.subscribers} views \`${VIEW_SURQL}\`, one WatchDeltas subscriber each; ${P.ratePerS} ingests/s (70% create, 20% update, 10% delete); a registration every ${P.registerEveryMs} ms`,
  "",
  table(
    ["t s", "RSS MiB", "ingests/s", "ingest p99 ms", "GetServerInfo p99 ms", "errors"],
    samples
      .filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0 || i === samples.length - 1)
      .map((s) => [fmt(s.t, 0), fmt(s.rssMiB, 1), fmt(s.ingestsPerS, 0), fmt(s.ingestP99Ms, 1), fmt(s.probeP99Ms, 1), fmt(s.errors, 0)]),
  ),
  "",
  table(
    ["soak summary", "value"],
    [
      ["duration s", fmt(results.loadSeconds, 1)],
      ["ingests sent / skipped (late)", `${sent} / ${skipped}`],
      ["ingest p50 / p99 ms", `${fmt(results.ingests.p50Ms, 2)} / ${fmt(results.ingests.p99Ms, 2)}`],
      ["registrations (p50 / p99 ms)", `${registrations} (${fmt(results.registrations.p50Ms, 2)} / ${fmt(results.registrations.p99Ms, 2)})`],
      ["GetServerInfo RTT p50 / p99 / max ms (event-loop delay proxy)", `${fmt(results.probe.p50Ms, 2)} / ${fmt(results.probe.p99Ms, 2)} / ${fmt(results.probe.maxMs, 1)}`],
      ["server RSS first / max / last MiB", `${fmt(results.memory.firstMiB, 1)} / ${fmt(results.memory.maxMiB, 1)} / ${fmt(results.memory.lastMiB, 1)}`],
      ["deltas received / resumes / reset snapshots / sequence gaps", `${deltasReceived} / ${resumes} / ${resets} / ${gaps}`],
      ["errors", `${errorCount}${errors.length > 0 ? ` (first: ${errors[0]})` : ""}`],
      ["ResyncEdges added / removed / updated", `${results.end.resync.added} / ${results.end.resync.removed} / ${results.end.resync.updated}`],
      [
        "surrealkv after stop: edges / members / missing / extra / wrong version",
        "error" in direct ? `ERROR ${direct.error}` : `${direct.edges} / ${direct.members} / ${direct.missing} / ${direct.extra} / ${direct.wrongVersion}`,
      ],
      ["verdict", ok ? "ok: zero errors, no gaps, edges = membership" : "FAILED"],
    ],
  ),
].join("\n");
console.log(report);
const files = writeResultFiles({ startedAt, machine, seed: P.seed, parameters: { ...P, sampleEveryMs }, ok, results } as never, path.join(ROOT, "bench/results"), "soak");
const chart = await writeSoakChart(samples, path.join(ROOT, "docs/soak-memory.svg"), `server RSS under ${P.ratePerS} ingests/s, ${P.subscribers} streams (${startedAt.slice(0, 10)})`);
console.log(`\nwrote ${[...files, chart].map((f) => path.relative(ROOT, f)).join(", ")}`);
if (!ok) process.exitCode = 1;

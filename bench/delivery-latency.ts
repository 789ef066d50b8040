// WatchDeltas delivery latency at a small size: the real server (src/main.ts in a
// child process, surrealkv on disk, journal on), BENCH_STREAMS streams over
// BENCH_VIEWS room views, 16 concurrent Ingest callers for BENCH_SECONDS. For each
// delta that arrives: from the ingest's acknowledgement at its caller to the
// arrival (negative: the delta came first), and from the ingest's sending.
//
//   node --disable-warning=ExperimentalWarning bench/delivery-latency.ts   (about 15 s)

const hooks = "./lib/ts-hooks.ts";
await import(hooks);

const { startService, AUTH } = await import("./lib/service-process.js");
const { closedLoop } = await import("./lib/service-load.js");
const { MessageStream, VIEW_SURQL, CLIENT_ID, roomOf, viewIdOf } = await import("./lib/service-workload.js");

const SECONDS = Number(process.env.BENCH_SECONDS ?? "5");
const VIEWS = Number(process.env.BENCH_VIEWS ?? "10");
const STREAMS = Number(process.env.BENCH_STREAMS ?? "100");
const CALLERS = 16;

const ssp = await startService();
try {
  const admin = ssp.client();
  for (let i = 0; i < VIEWS; i++) {
    await admin.registerView({ id: viewIdOf(i), surql: VIEW_SURQL, params: { room: roomOf(i) }, clientId: CLIENT_ID }, { headers: AUTH });
  }
  const abort = new AbortController();
  const arrivals: [string, number][] = [];
  let snapshots = 0;
  const streams = Array.from({ length: STREAMS }, async (_, s) => {
    try {
      for await (const msg of admin.watchDeltas({ viewIds: [viewIdOf(s % VIEWS)] }, { headers: AUTH, signal: abort.signal })) {
        if (msg.kind.case === "snapshot") snapshots++;
        else if (msg.kind.case === "delta") {
          const at = performance.now();
          for (const d of msg.kind.value.deltas) arrivals.push([d.id, at]);
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  });
  while (snapshots < STREAMS) await new Promise((r) => setTimeout(r, 20));
  const callers = Array.from({ length: 4 }, () => ssp.client());
  const gen = new MessageStream(7, VIEWS, 1_000_000);
  const sent = new Map<string, number>();
  const acked = new Map<string, number>();
  const load = await closedLoop(CALLERS, SECONDS, async (caller) => {
    const change = gen.create();
    sent.set(change.id, performance.now());
    await callers[caller % callers.length]!.ingest({ change }, { headers: AUTH });
    acked.set(change.id, performance.now());
  });
  await new Promise((r) => setTimeout(r, 1000));
  abort.abort();
  await Promise.all(streams);
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  for (const [id, at] of arrivals) {
    const ack = acked.get(id);
    const send = sent.get(id);
    if (ack !== undefined) fromAck.push(at - ack);
    if (send !== undefined && ack !== undefined) fromSend.push(at - send);
  }
  const pct = (xs: number[], p: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN).toFixed(2);
  };
  console.log(
    JSON.stringify({
      streams: STREAMS,
      views: VIEWS,
      seconds: SECONDS,
      ingests: load.calls,
      ingestErrors: load.errors,
      delivered: fromAck.length,
      ackToArrivalMs: { p50: pct(fromAck, 0.5), p99: pct(fromAck, 0.99), max: pct(fromAck, 1) },
      sendToArrivalMs: { p50: pct(fromSend, 0.5), p99: pct(fromSend, 0.99), max: pct(fromSend, 1) },
    }),
  );
} finally {
  await ssp.stop();
  ssp.dispose();
}

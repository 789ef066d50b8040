/**
 * Quick figures for the circuit against DESIGN.md's targets, while it is built.
 * Run: `node bench/circuit-quick.ts` (Node 24 strips the types itself).
 * Scale down with CIRCUIT_BENCH_RECORDS=10000 for a faster look.
 */
import { registerHooks } from "node:module";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

// The sources import siblings as `./x.js` (for tsc); under plain Node they are `./x.ts`.
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (specifier.startsWith(".") && specifier.endsWith(".js")) return next(`${specifier.slice(0, -3)}.ts`, context);
      throw error;
    }
  },
});

const { Circuit } = await import("../src/circuit/index.js");
type CircuitT = InstanceType<typeof Circuit>;
type Change = Parameters<CircuitT["ingest"]>[0][number];

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const RECORDS = Number(process.env.CIRCUIT_BENCH_RECORDS ?? 100_000);
const ROOMS = 500;
let seed = 42;
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = (n: number) => Math.floor(random() * n);

function message(i: number, room = i % ROOMS) {
  return { room: { $rid: `room:${room}` }, at: i, author: { $rid: `user:${i % 1000}` }, text: `message ${i} with some text`, tags: ["a", "b"] };
}

function spec(id: string, surql: string, params = {}) {
  return { id, surql, params, clientId: "bench", ttlMs: 0, lastActiveAt: 0 };
}

function loaded(records = RECORDS): CircuitT {
  const c = new Circuit();
  const batch: Change[] = [];
  for (let i = 0; i < records; i++) {
    batch.push({ op: "CREATE", id: `msg:${i}`, body: message(i) });
    if (batch.length === 10_000) c.ingest(batch.splice(0));
  }
  if (batch.length) c.ingest(batch);
  return c;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Random single-record ingests: content updates, new messages, room moves (among `rooms`), deletes. */
function ingestWorkload(c: CircuitT, count: number, next: { id: number }, rooms = ROOMS): number[] {
  const times: number[] = [];
  for (let n = 0; n < count; n++) {
    const r = random();
    let change: Change;
    if (r < 0.4) change = { op: "UPDATE", id: `msg:${pick(next.id)}`, body: { ...message(pick(next.id)), text: `edit ${n}` } };
    else if (r < 0.7) {
      const i = next.id++;
      change = { op: "CREATE", id: `msg:${i}`, body: message(i, pick(rooms)) };
    } else if (r < 0.9) change = { op: "UPDATE", id: `msg:${pick(next.id)}`, body: message(n, pick(rooms)) };
    else change = { op: "DELETE", id: `msg:${pick(next.id)}` };
    const t0 = process.hrtime.bigint();
    c.ingest([change]);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return times;
}

function line(label: string, value: string, target: string): void {
  console.log(`${label.padEnd(58)} ${value.padStart(14)}   target ${target}`);
}

// ---- how fast is this machine right now? (a quiet modern core: roughly 70–120 ms) ----
{
  const cpu0 = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < 1e8; i++) x += i;
  const used = process.cpuUsage(cpu0);
  line(`calibration: 1e8 integer additions (CPU time, x=${x > 0 ? "ok" : "?"})`, `${((used.user + used.system) / 1000).toFixed(0)} ms`, "context only");
}

// ---- memory: the circuit holding the records, against their JSON size ----
gc();
const heap0 = process.memoryUsage().heapUsed;
const circuit = loaded();
gc();
const heap1 = process.memoryUsage().heapUsed;
let json = 0;
for (let i = 0; i < RECORDS; i++) json += JSON.stringify({ id: `msg:${i}`, ...message(i) }).length;
line(`memory: ${RECORDS} records held / their JSON size`, `${((heap1 - heap0) / json).toFixed(2)}×`, "≤ 2.5×");

// ---- registration of a filter view over every record (the SurrealQL parser's one-off WASM start excluded) ----
{
  new Circuit().registerView(spec("warm-up", "SELECT * FROM msg"));
  const t0 = performance.now();
  const r = circuit.registerView(spec("filter", "SELECT * FROM msg WHERE at >= 0 AND tags CONTAINS 'a'"));
  const ms = performance.now() - t0;
  line(`registration: filter view over ${RECORDS} records (${r.view.members.length} members)`, `${ms.toFixed(1)} ms`, "≤ 50 ms");
  gc();
  const heap2 = process.memoryUsage().heapUsed;
  line("memory: per membership entry", `${((heap2 - heap1) / r.view.members.length).toFixed(0)} B`, "≤ 200 B");
  circuit.unregisterView("filter");
}

// ---- latency: one-record ingest with 1,000 views ----
{
  for (let v = 0; v < 1000; v++) {
    const room = { $rid: `room:${v % ROOMS}` };
    const surql =
      v % 2 === 0
        ? "SELECT * FROM msg WHERE room = $room"
        : "SELECT *, (SELECT * FROM user WHERE id = $parent.author)[0] AS author FROM msg WHERE room = $room ORDER BY at DESC LIMIT 10";
    circuit.registerView(spec(`v${v}`, surql, { room }));
  }
  const next = { id: RECORDS };
  ingestWorkload(circuit, 2000, next);
  const times = ingestWorkload(circuit, 20_000, next).sort((a, b) => a - b);
  line(`latency: one-record ingest, 1,000 views, ${RECORDS} records, p50`, `${percentile(times, 50).toFixed(1)} µs`, "≤ 20 µs");
  line("latency: same, p99", `${percentile(times, 99).toFixed(1)} µs`, "≤ 200 µs");

  // ---- against naive re-evaluation of the views an ingest affects ----
  const t0 = performance.now();
  let evaluated = 0;
  for (let v = 0; v < 20; v += 2) {
    circuit.recomputeView(`v${v}`);
    evaluated++;
  }
  const naive = ((performance.now() - t0) * 1000) / evaluated;
  line("vs re-evaluation: one affected view recomputed / one ingest", `${(naive / percentile(times, 50)).toFixed(0)}×`, "≥ 1,000×");
}

// ---- scaling: 10 vs 10,000 parameterised views, one room each; ingests go to rooms that have a view ----
{
  const perIngest = (views: number): number => {
    const c = loaded(Math.min(RECORDS, 20_000));
    for (let v = 0; v < views; v++) c.registerView(spec(`p${v}`, "SELECT * FROM msg WHERE room = $room", { room: { $rid: `room:${v}` } }));
    const next = { id: Math.min(RECORDS, 20_000) };
    ingestWorkload(c, 2000, next, views);
    const times = ingestWorkload(c, 10_000, next, views).sort((a, b) => a - b);
    return percentile(times, 50);
  };
  const ten = perIngest(10);
  const tenThousand = perIngest(10_000);
  line("scaling: p50 ingest with 10,000 views / with 10 views", `${(tenThousand / ten).toFixed(2)}×`, "≤ 2×");
}

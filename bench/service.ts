/**
 * Entry point of the service benchmark (`make bench-e2e`): `node bench/service.ts`.
 * Environment: BENCH_SECONDS (per phase, default 15), BENCH_SEED, BENCH_STREAMS
 * (default 1000), BENCH_VIEWS (100), BENCH_CONCURRENCY (64), BENCH_BATCH (100),
 * BENCH_JOURNAL_OFF=0 to skip the journal-off server.
 *
 * Node 24 strips the types itself; the sources import siblings as `./x.js` (for
 * tsc) and gen/ uses TypeScript enums, so project files are resolved and
 * transformed by a hook registered before any of them loads (hence the dynamic import).
 */
// A variable specifier: tsc does not resolve it, and Node loads the .ts as written.
const hooks = "./lib/ts-hooks.ts";
await import(hooks);

await import("./lib/service-bench.js");
// Embedded SurrealDB engines can keep handles open; the run is over.
process.exit(0);

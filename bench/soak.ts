/**
 * Entry point of the bounded soak (`make soak`): `node bench/soak.ts`.
 * Environment: SOAK_SECONDS (default 600), SOAK_RATE (ingests/s, default 100),
 * SOAK_SUBSCRIBERS (100, one stream per view), SOAK_REGISTER_EVERY_MS (5000),
 * SOAK_SEED. See bench/lib/soak-run.ts.
 */
// A variable specifier: tsc does not resolve it, and Node loads the .ts as written.
const hooks = "./lib/ts-hooks.ts";
await import(hooks);

await import("./lib/soak-run.js");
// Embedded SurrealDB engines can keep handles open; the run is over.
process.exit(0);

/**
 * Entry point of the engine benchmark (`make bench`, `make bench-quick`):
 * `node --expose-gc bench/engine.ts [--preset full|quick|toy] [--seed N] [--only W1,W2]`.
 *
 * Node 24 runs the TypeScript itself; the sources import siblings as `./x.js`
 * (for tsc), so a resolver hook maps those to `./x.ts`. It must be registered
 * before any source file loads, hence the dynamic import.
 */

// A variable specifier: tsc does not resolve it, and Node loads the .ts as written.
const hooks = "./lib/ts-hooks.ts";
await import(hooks);

await import("./engine/cli.js");
// Embedded SurrealDB engines can keep handles open; the run is over.
process.exit(0);

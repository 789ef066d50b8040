/**
 * Entry point of the engine benchmark (`make bench`, `make bench-quick`):
 * `node --expose-gc bench/engine.ts [--preset full|quick|toy] [--seed N] [--only W1,W2]`.
 *
 * Node 24 runs the TypeScript itself; the sources import siblings as `./x.js`
 * (for tsc), so a resolver hook maps those to `./x.ts`. It must be registered
 * before any source file loads, hence the dynamic import.
 */
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      const missing = (err as { code?: string }).code === "ERR_MODULE_NOT_FOUND";
      if (!missing || !specifier.startsWith(".") || !specifier.endsWith(".js")) throw err;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});

await import("./engine/cli.js");
// Embedded SurrealDB engines can keep handles open; the run is over.
process.exit(0);

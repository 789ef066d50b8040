/**
 * Lets Node run the project's TypeScript as the benchmarks import it: `./x.js`
 * specifiers resolve to `./x.ts`, and project files (gen/ has enums) are
 * transformed, not just stripped. Import this first, then the rest dynamically.
 */
import { readFileSync } from "node:fs";
import { registerHooks, stripTypeScriptTypes } from "node:module";
import { fileURLToPath } from "node:url";

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
  load(url, context, nextLoad) {
    if (url.startsWith("file:") && url.endsWith(".ts") && !url.includes("/node_modules/")) {
      const source = stripTypeScriptTypes(readFileSync(fileURLToPath(url), "utf8"), { mode: "transform" });
      return { format: "module", source, shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});

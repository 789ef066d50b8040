// Lets Node run the TypeScript sources directly (for child-process tests):
// imports are written with `.js` extensions (as tsc wants), so when a `.js`
// file does not exist, resolve the `.ts` beside it. Used with
// `node --experimental-transform-types --import ./test/support/ts-resolve.mjs`.
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (err?.code !== "ERR_MODULE_NOT_FOUND" || !specifier.endsWith(".js") || !specifier.startsWith(".")) throw err;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});

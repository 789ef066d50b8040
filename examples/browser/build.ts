/**
 * Bundles the browser example with esbuild: `page/main.ts` and everything it
 * imports (connect-web, the generated client) into one `app.js`, next to a copy
 * of `index.html`. Bundles are build output: they go to a scratch folder
 * (`.tmp/browser-example` by default), never into the repository.
 */
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Writes `index.html` and `app.js` into `outDir`; resolves to `outDir`. */
export async function buildBrowserExample(outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [path.join(HERE, "page", "main.ts")],
    outfile: path.join(outDir, "app.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    logLevel: "warning",
  });
  await copyFile(path.join(HERE, "index.html"), path.join(outDir, "index.html"));
  return outDir;
}

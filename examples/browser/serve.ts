/**
 * A static file server for the browser example (and its test): GET of files in
 * one folder, nothing else. Run directly it builds the example and serves it:
 *
 *   make browser-example      # builds, then serves http://127.0.0.1:8080 (EXAMPLE_PORT to change)
 *
 * The page's origin (here http://127.0.0.1:8080) must be in SSP's
 * SSP_CORS_ORIGINS, as SSP is another origin (another port).
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildBrowserExample } from "./build.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
};

export interface StaticServer {
  /** `http://127.0.0.1:<port>`: the page's origin. */
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves the files directly in `dir` (no subfolders, no listing) on `host:port` (0: a free port). */
export async function serveDirectory(dir: string, host = "127.0.0.1", port = 0): Promise<StaticServer> {
  const server = http.createServer((req, res) => {
    const name = new URL(req.url ?? "/", "http://x").pathname.slice(1) || "index.html";
    const type = TYPES[path.extname(name)];
    if (req.method !== "GET" || type === undefined || name.includes("/") || name.startsWith(".")) {
      res.writeHead(404).end();
      return;
    }
    readFile(path.join(dir, name)).then(
      (body) => res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    origin: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const dir = await buildBrowserExample(path.join(root, ".tmp", "browser-example"));
  const server = await serveDirectory(dir, "127.0.0.1", Number(process.env.EXAMPLE_PORT ?? 8080));
  console.log(`browser example: ${server.origin}/  (start SSP with SSP_CORS_ORIGINS=${server.origin})`);
}

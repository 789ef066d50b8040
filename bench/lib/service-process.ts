/**
 * The real SSP server (src/main.ts) as a child process for the service benchmark
 * and the soak: its own event loop and its own resident memory, measured from
 * outside (/proc/<pid>/status), with the embedded on-disk SurrealDB (surrealkv)
 * in a temp dir. Logs at `warn`, so the per-RPC access log is not what is measured.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NODE = existsSync(path.join(ROOT, "node_modules/.bin/node")) ? path.join(ROOT, "node_modules/.bin/node") : process.execPath;
/** USER_HZ: /proc reports CPU time in these ticks; 100 on Linux everywhere in practice. */
const CLOCK_TICKS = 100;
export const SECRET = "bench-secret";
export const AUTH = { authorization: `Bearer ${SECRET}` };

export type SspClient = Client<typeof StreamProcessorService>;

export interface ServiceProcess {
  readonly pid: number;
  readonly url: string;
  readonly dataDir: string;
  /** surrealkv:// URL of the server's SurrealDB (readable once the server stopped). */
  readonly surrealUrl: string;
  /** A new gRPC (HTTP/2) client: one connection per call of this function. */
  client(): SspClient;
  /** Resident memory of the server process in bytes (VmRSS). */
  rssBytes(): number;
  /** CPU seconds (user + system, every thread, so the embedded SurrealDB too) the server has used. */
  cpuSeconds(): number;
  stderr(): string;
  /** SIGTERM (the server saves and closes), then waits for the exit. */
  stop(): Promise<number | string>;
  /** Deletes the data dir (after stop). */
  dispose(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function grpcClient(url: string): SspClient {
  return createClient(StreamProcessorService, createGrpcTransport({ baseUrl: url }));
}

/** Starts the server and resolves once GetServerInfo answers. */
export async function startService(env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<ServiceProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ssp-bench-"));
  const surrealUrl = `surrealkv://${path.join(dataDir, "surreal")}`;
  const port = await freePort();
  const child: ChildProcess = spawn(
    NODE,
    [...nodeArgs, "--no-warnings", "--experimental-transform-types", "--import", "./test/support/ts-resolve.mjs", "src/main.ts"],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        PATH: process.env.PATH ?? "",
        LISTEN_ADDR: `127.0.0.1:${port}`,
        SPOOKY_AUTH_SECRET: SECRET,
        SPOOKY_DATA_DIR: dataDir,
        SURREALDB_URL: surrealUrl,
        LOG_LEVEL: "warn",
        ...env,
      },
    },
  );
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (err.length < 100_000) err += d.toString("utf8");
  });
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const probe = grpcClient(url);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) throw new Error(`ssp exited before serving; stderr:\n${err}`);
    try {
      await probe.getServerInfo({}, { headers: AUTH, timeoutMs: 1_000 });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`ssp did not answer within 60 s; stderr:\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    pid: child.pid!,
    url,
    dataDir,
    surrealUrl,
    client: () => grpcClient(url),
    rssBytes: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
      return kb === undefined ? Number.NaN : Number(kb) * 1024;
    },
    cpuSeconds: () => {
      // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    stderr: () => err,
    stop: async () => {
      if (!gone) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    dispose: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

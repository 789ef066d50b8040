/**
 * Runs SSP's real entry point (src/main.ts) as a child process, straight from
 * the TypeScript sources (no build step): Node strips the types and
 * ts-resolve.mjs maps the `.js` import specifiers to the `.ts` files.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The project's own Node 24, whatever Node runs the tests. */
const NODE = existsSync(path.join(ROOT, "node_modules/.bin/node")) ? path.join(ROOT, "node_modules/.bin/node") : process.execPath;

export interface SspProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  /** Resolves with the first stdout JSON line whose msg matches. */
  waitForLog(match: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export interface SpawnOptions {
  /**
   * RLIMIT_FSIZE for the process, set with /bin/sh's `ulimit -f` as 512-byte
   * blocks (a shell that counts 1024-byte blocks doubles it): a write past it
   * fails with EFBIG, as on a full disk. Node ignores SIGXFSZ, so the process
   * lives on.
   */
  readonly fileSizeLimitBytes?: number;
}

/** Without SPOOKY_DATA_DIR the process gets a fresh temp dir, never the repository's data/. */
export function spawnSsp(env: Record<string, string>, options: SpawnOptions = {}): SspProcess {
  const dataDir = env.SPOOKY_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), "ssp-process-"));
  const args = ["--no-warnings", "--experimental-transform-types", "--import", "./test/support/ts-resolve.mjs", "src/main.ts"];
  const limit = options.fileSizeLimitBytes;
  const [command, argv] =
    limit === undefined
      ? [NODE, args]
      : ["/bin/sh", ["-c", `ulimit -f ${Math.floor(limit / 512)} && exec "$0" "$@"`, NODE, ...args]];
  const child = spawn(command, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", SPOOKY_DATA_DIR: dataDir, ...env } });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
    for (const l of listeners) l();
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForLog(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of out.split("\n")) {
            if (line.trim() === "") continue;
            const parsed = JSON.parse(line) as Record<string, unknown>;
            if (match.test(String(parsed.msg))) {
              listeners.delete(check);
              clearTimeout(timer);
              resolve(parsed);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no log line matching ${match} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            clearTimeout(timer);
            reject(new Error(`ssp exited before logging ${match}; stdout:\n${out}\nstderr:\n${err}`));
          }
        });
        check();
      });
    },
  };
}

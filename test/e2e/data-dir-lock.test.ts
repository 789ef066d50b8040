/**
 * One SSP process per data directory, as processes (src/main.ts as children): a
 * second process on a held directory refuses to start with one line naming the
 * directory and the holder's pid, exit code 2, and the holder keeps serving; a
 * clean stop releases the lock; after kill -9 a restart succeeds at once; a stale
 * lock file (dead pid, or a pid now used by an unrelated process) never stops a
 * start.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { LOCK_FILE_NAME, holderOf } from "../../src/persistence/data-dir-lock.js";
import { sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";

type Ssp = ReturnType<typeof sspClient>;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-lock-"));
  dirs.push(dir);
  return dir;
}

const envFor = (dir: string) => ({
  SPOOKY_INSECURE_DEV: "1",
  LISTEN_ADDR: "127.0.0.1:0",
  SPOOKY_DATA_DIR: dir,
  SURREALDB_URL: `surrealkv://${path.join(dir, "surreal")}`,
  SAVE_DEBOUNCE_MS: "60000",
});

async function start(dir: string): Promise<{ ssp: SspProcess; client: Ssp }> {
  const ssp = spawnSsp(envFor(dir));
  const started = await ssp.waitForLog(/^SSP listening on /, 60_000);
  return { ssp, client: sspClient(transport("grpc/2", `http://${String(started.address)}`)) };
}

async function kill(ssp: SspProcess, signal: "SIGTERM" | "SIGKILL"): Promise<number | string> {
  ssp.child.kill(signal);
  return ssp.exited;
}

const lockPid = async (dir: string) => (JSON.parse(await readFile(path.join(dir, LOCK_FILE_NAME), "utf8")) as { pid: number }).pid;

/** A real, unrelated process that sleeps until killed. */
function sleeper() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120_000)"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { pid: child.pid as number, kill: async () => (child.kill("SIGKILL"), exited) };
}

async function ingestItems(client: Ssp, from: number, count: number): Promise<void> {
  for (let key = from; key < from + count; key++) {
    await client.ingest({ change: { op: Operation.UPDATE, id: `item:${key}`, record: { n: key } } });
  }
}

describe.concurrent("one process per data directory", () => {
  it("refuses a second process with one line naming the directory and the holder's pid (exit 2); the holder keeps serving", async () => {
    const dir = await dataDir();
    const first = await start(dir);
    try {
      await first.client.registerView({ id: "all", surql: "SELECT * FROM item", clientId: "app" });
      const second = spawnSsp(envFor(dir));
      const outcome = await Promise.race([second.exited, second.waitForLog(/^SSP listening on /, 60_000).then(() => "served", () => "no")]);
      if (outcome === "served") second.child.kill("SIGKILL");
      expect(outcome === "served" ? outcome : await second.exited).toBe(2);
      const lines = second.stderr().trim().split("\n");
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^ssp: data directory ${dir} is in use by another SSP process \\(pid ${first.ssp.child.pid}, `)),
      ]);
      expect(second.stdout()).not.toContain("SSP listening on");
      await ingestItems(first.client, 1, 3);
      expect((await first.client.getView({ id: "all" })).members).toHaveLength(3);
      // A clean stop releases the lock: the next start finds no lock file and keeps the state.
      expect(await kill(first.ssp, "SIGTERM")).toBe(0);
      await expect(readFile(path.join(dir, LOCK_FILE_NAME))).rejects.toMatchObject({ code: "ENOENT" });
      const third = await start(dir);
      expect((await third.client.getView({ id: "all" })).members).toHaveLength(3);
      expect(await lockPid(dir)).toBe(third.ssp.child.pid);
      expect(await kill(third.ssp, "SIGTERM")).toBe(0);
    } finally {
      await kill(first.ssp, "SIGKILL");
    }
  }, 180_000);

  it("restarts at once after kill -9, with every acknowledged write", async () => {
    const dir = await dataDir();
    const first = await start(dir);
    await first.client.registerView({ id: "all", surql: "SELECT * FROM item", clientId: "app" });
    await ingestItems(first.client, 1, 5);
    expect(await kill(first.ssp, "SIGKILL")).toBe("SIGKILL");
    expect(await lockPid(dir)).toBe(first.ssp.child.pid);
    const second = await start(dir);
    expect((await second.client.getView({ id: "all" })).members).toHaveLength(5);
    expect(await lockPid(dir)).toBe(second.ssp.child.pid);
    expect(await kill(second.ssp, "SIGTERM")).toBe(0);
  }, 180_000);

  it("starts over a stale lock file: a dead pid, or a live pid that belongs to an unrelated process", async () => {
    const dead = sleeper();
    const deadIdentity = holderOf(dead.pid);
    await dead.kill();
    const unrelated = sleeper();
    try {
      const live = holderOf(unrelated.pid);
      const forged = [deadIdentity, { ...live, start: String(Number(live?.start) - 1) }];
      for (const holder of forged) {
        const dir = await dataDir();
        await writeFile(path.join(dir, LOCK_FILE_NAME), JSON.stringify(holder));
        const ssp = await start(dir);
        expect(await lockPid(dir)).toBe(ssp.ssp.child.pid);
        expect(await kill(ssp.ssp, "SIGTERM")).toBe(0);
      }
    } finally {
      await unrelated.kill();
    }
  }, 180_000);
});

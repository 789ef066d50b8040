/**
 * Durability of the real service as a process (src/main.ts as a child, an
 * embedded surrealkv SurrealDB in a temp data dir): SIGTERM saves and exits 0;
 * a corrupt snapshot stops the start with one message naming the file (kept
 * aside), or starts empty when told to; a torn journal tail is dropped; and
 * under continuous load a snapshot is still written at the max delay.
 */
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { spawnSsp, type SspProcess } from "../support/spawn-ssp.js";

type Ssp = ReturnType<typeof sspClient>;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-durability-"));
  dirs.push(dir);
  return dir;
}

const envFor = (dir: string, extra: Record<string, string> = {}) => ({
  SPOOKY_INSECURE_DEV: "1",
  LISTEN_ADDR: "127.0.0.1:0",
  SPOOKY_DATA_DIR: dir,
  SURREALDB_URL: `surrealkv://${path.join(dir, "surreal")}`,
  LOG_LEVEL: "info",
  SAVE_DEBOUNCE_MS: "60000",
  ...extra,
});

async function start(dir: string, extra: Record<string, string> = {}): Promise<{ ssp: SspProcess; client: Ssp }> {
  const ssp = spawnSsp(envFor(dir, extra));
  const started = await ssp.waitForLog(/^SSP listening on /, 60_000);
  return { ssp, client: sspClient(transport("grpc/2", `http://${String(started.address)}`)) };
}

async function stop(ssp: SspProcess, signal: "SIGTERM" | "SIGKILL"): Promise<number | string> {
  ssp.child.kill(signal);
  return ssp.exited;
}

const ingest = (client: Ssp, key: number, score = key) =>
  client.ingest({ change: { op: Operation.UPDATE, id: `item:${key}`, record: { score } as never } });

async function seed(client: Ssp, count: number): Promise<void> {
  await client.registerView({ id: "hot", surql: "SELECT * FROM item WHERE score >= 2", clientId: "app" });
  for (let key = 1; key <= count; key++) await ingest(client, key);
}

async function members(client: Ssp, id = "hot"): Promise<string[]> {
  return (await client.getView({ id })).members.map((m) => `${m.id}@${m.version}`);
}

describe.concurrent("durability of the service process", () => {
  it("saves on SIGTERM, exits 0, and has the same state after a restart (no journal to fall back on)", async () => {
    const dir = await dataDir();
    // Journal off and a long debounce: only the shutdown save can carry the state.
    const first = await start(dir, { SSP_JOURNAL: "0" });
    await seed(first.client, 5);
    const before = await members(first.client);
    expect(before).toHaveLength(4);
    expect(await stop(first.ssp, "SIGTERM")).toBe(0);
    expect(first.ssp.stdout()).toContain('"msg":"state saved"');

    const second = await start(dir, { SSP_JOURNAL: "0" });
    expect(await members(second.client)).toEqual(before);
    expect(await stop(second.ssp, "SIGTERM")).toBe(0);
  });

  it("refuses to start on a corrupt snapshot with one message naming the file, keeps it aside, and starts empty only when told", async () => {
    const dir = await dataDir();
    const first = await start(dir);
    await seed(first.client, 3);
    expect(await stop(first.ssp, "SIGTERM")).toBe(0);

    const file = path.join(dir, "state.snapshot");
    const bytes = await readFile(file);
    for (let i = 40; i < 48; i++) bytes[i] = bytes[i]! ^ 0xff;
    await writeFile(file, bytes);

    const refused = spawnSsp(envFor(dir));
    expect(await refused.exited).not.toBe(0);
    const lines = refused.stderr().trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ssp: failed to start: snapshot .*state\.snapshot is unusable: .*moved aside to .*state\.snapshot\./);
    const aside = (await readdir(dir)).filter((name) => name.startsWith("state.snapshot."));
    expect(aside).toHaveLength(1);
    expect(await readFile(path.join(dir, aside[0]!))).toEqual(bytes);

    // Put it back: with the flag the start sets it aside again and starts empty.
    await writeFile(file, bytes);
    const empty = await start(dir, { SSP_START_EMPTY_ON_CORRUPT: "1" });
    const info = await empty.client.getServerInfo({});
    expect([info.views, info.records]).toEqual([0, 0n]);
    expect(empty.ssp.stdout()).toContain("saved state was unusable and was set aside");
    expect(await stop(empty.ssp, "SIGTERM")).toBe(0);
  });

  it("drops a torn last journal record and starts with every acknowledged mutation", async () => {
    const dir = await dataDir();
    const first = await start(dir);
    await seed(first.client, 6);
    const before = await members(first.client);
    // No snapshot was taken (long debounce): the state lives in the journal alone.
    expect(await stop(first.ssp, "SIGKILL")).toBe("SIGKILL");
    const journalDir = path.join(dir, "journal");
    const segments = (await readdir(journalDir)).filter((n) => n.endsWith(".log")).sort();
    const last = path.join(journalDir, segments.at(-1)!);
    // Half a record: a header promising a 200-byte payload, then 7 bytes of it.
    const torn = Buffer.alloc(16 + 7, 0x61);
    torn.writeUInt32BE(200, 4);
    const sizeBefore = (await stat(last)).size;
    await appendFile(last, torn);

    const second = await start(dir);
    expect(await members(second.client)).toEqual(before);
    expect(second.ssp.stdout()).toContain("dropped a torn last journal record");
    // New appends go after the last good record, and survive another kill.
    await ingest(second.client, 7);
    expect(await stop(second.ssp, "SIGKILL")).toBe("SIGKILL");
    expect((await stat(last)).size).toBeGreaterThan(sizeBefore);
    const third = await start(dir);
    expect(await members(third.client)).toEqual([...before, "item:7@1"]);
    expect(await stop(third.ssp, "SIGTERM")).toBe(0);
  });

  it("still writes snapshots under continuous load, where a pure debounce never would", async () => {
    const dir = await dataDir();
    const { ssp, client } = await start(dir, { SAVE_DEBOUNCE_MS: "200", SAVE_MAX_DELAY_MS: "500" });
    await client.registerView({ id: "hot", surql: "SELECT * FROM item WHERE score >= 50", clientId: "app" });
    const file = path.join(dir, "state.snapshot");
    const saves = new Set<number>();
    let loading = true;
    const load = (async () => {
      // An ingest every few ms: never a 200 ms quiet period.
      for (let key = 0; loading; key++) {
        await ingest(client, key % 50, key);
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    // Watch for new snapshot files over 8 max-delays' worth of load.
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const mtime = await stat(file).then((s) => s.mtimeMs, () => undefined);
      if (mtime !== undefined) saves.add(mtime);
      await new Promise((r) => setTimeout(r, 50));
    }
    loading = false;
    await load;
    expect(saves.size).toBeGreaterThanOrEqual(2);
    expect(await stop(ssp, "SIGTERM")).toBe(0);
  });
});

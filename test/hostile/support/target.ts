/**
 * The server under attack: SSP's real entry point in a child process (so its
 * RSS is its own and "still up" means the process), with auth on, an embedded
 * in-memory SurrealDB, two views and a few records. `state()` reads what a
 * refused request must leave alone, as protobuf bytes: GetServerInfo, ListViews
 * and GetView of every view.
 */
import { readFileSync } from "node:fs";
import { toBinary } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import {
  GetServerInfoResponseSchema,
  GetViewResponseSchema,
  ListViewsResponseSchema,
  Operation,
  type StreamProcessorService,
} from "../../../gen/spooky/ssp/v1/ssp_pb.js";
import { bearer, sspClient, transport } from "../../support/clients.js";
import { spawnSsp, type SspProcess } from "../../support/spawn-ssp.js";

export const SECRET = "hostile-suite-secret";
export const AUTH = bearer(SECRET);

export interface Target {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly client: Client<typeof StreamProcessorService>;
  /** Canonical bytes of what refused requests must not change (uptime and open stream counts left out: they move by themselves). */
  state(): Promise<string>;
  /** Restores the seeded views and records after a valid request removed them (the fuzz sends valid Resets too). */
  reseed(): Promise<void>;
  /** After a request that succeeded: waits for its edge writes, and reseeds when the seeded views are gone. */
  settle(): Promise<void>;
  /** The server process's resident set, from /proc. */
  rssBytes(): number;
  alive(): boolean;
  stderr(): string;
  close(): Promise<void>;
}

export async function startTarget(env: Record<string, string> = {}): Promise<Target> {
  const ssp: SspProcess = spawnSsp({
    LISTEN_ADDR: "127.0.0.1:0",
    SURREALDB_URL: "mem://",
    SPOOKY_AUTH_SECRET: SECRET,
    LOG_LEVEL: "info",
    SAVE_DEBOUNCE_MS: "60000",
    ...env,
  });
  let exited = false;
  void ssp.exited.then(() => (exited = true));
  const started = await ssp.waitForLog(/^SSP listening on /, 30_000);
  const address = String(started.address);
  const url = `http://${address}`;
  const client = sspClient(transport("grpc/2", url));
  const pid = ssp.child.pid ?? 0;

  const outboxDrained = async () => {
    // Edge writes commit in the background; the state is stable once none is pending.
    for (let i = 0; i < 200 && (await client.getServerInfo({}, { headers: AUTH })).outboxPending > 0n; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const reseed = async () => {
    await client.registerView({ id: "users", surql: "SELECT * FROM user WHERE age > 20", clientId: "app" }, { headers: AUTH });
    await client.registerView({ id: "posts", surql: "SELECT * FROM post ORDER BY at DESC LIMIT 3", clientId: "app" }, { headers: AUTH });
    await client.ingestBatch(
      {
        changes: [
          { op: Operation.CREATE, id: "user:1", record: { age: 30, name: "Ada" } },
          { op: Operation.CREATE, id: "user:2", record: { age: 10, name: "Bob" } },
          { op: Operation.CREATE, id: "post:1", record: { at: 1, by: { $rid: "user:1" } } },
          { op: Operation.CREATE, id: "post:2", record: { at: 2, by: { $rid: "user:2" } } },
        ],
      },
      { headers: AUTH },
    );
    await outboxDrained();
  };

  await reseed();
  return {
    url,
    port: Number(address.slice(address.lastIndexOf(":") + 1)),
    pid,
    client,
    reseed,
    async settle() {
      await outboxDrained();
      const ids = new Set((await client.listViews({}, { headers: AUTH })).views.map((v) => v.id));
      if (!ids.has("users") || !ids.has("posts")) await reseed();
    },
    async state() {
      const info = await client.getServerInfo({}, { headers: AUTH });
      info.uptime = undefined;
      info.streams = 0;
      const views = await client.listViews({}, { headers: AUTH });
      const parts = [toBinary(GetServerInfoResponseSchema, info), toBinary(ListViewsResponseSchema, views)];
      for (const view of views.views) parts.push(toBinary(GetViewResponseSchema, await client.getView({ id: view.id }, { headers: AUTH })));
      return parts.map((p) => Buffer.from(p).toString("base64")).join(".");
    },
    rssBytes() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
      return Number(kb ?? NaN) * 1024;
    },
    alive: () => !exited && ssp.child.exitCode === null,
    stderr: () => ssp.stderr(),
    async close() {
      if (!exited) {
        ssp.child.kill("SIGTERM");
        await ssp.exited;
      }
    },
  };
}

/**
 * Small builders for the edge tests: circuit values, a store over a real embedded
 * SurrealDB, wrappers that count or break round trips, and readers that turn
 * SurrealDB's tables back into plain comparable rows.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordId as SdkRecordId } from "surrealdb";
import { RecordId } from "../../src/circuit/record-id.js";
import type { DeltaEvent, Member, ViewDelta, ViewSpec } from "../../src/circuit/types.js";
import { SurrealConnection } from "../../src/surreal/index.js";
import { createEdgeStore, type EdgeStore } from "../../src/edges/edge-store.js";
import { loadMigrations, migrate } from "../../src/edges/migrations.js";
import type { EdgeDatabase, EdgeMetric } from "../../src/edges/types.js";

export function rid(table: string, key: string | number): RecordId {
  return new RecordId(table, key);
}

export function spec(id: string, overrides: Partial<ViewSpec> = {}): ViewSpec {
  return { id, surql: "SELECT * FROM thread", params: {}, clientId: "client-a", ttlMs: 60_000, lastActiveAt: 1_700_000_000_000, ...overrides };
}

export function member(id: RecordId, version = 1): Member {
  return { id, version };
}

let sequence = 0;
export function viewDelta(viewId: string, clientId: string, deltas: readonly [DeltaEvent, RecordId, number][]): ViewDelta {
  return { viewId, clientId, sequence: ++sequence, deltas: deltas.map(([event, id, version]) => ({ event, id, version })) };
}

/** True when a transaction's bindings write or read view `viewId` (its metadata or its edges). */
export function touchesView(bindings: unknown, viewId: string): boolean {
  if (bindings instanceof SdkRecordId) return bindings.table.name === "_spooky_incantation" && bindings.id === viewId;
  if (Array.isArray(bindings)) return bindings.some((b) => touchesView(b, viewId));
  if (typeof bindings === "object" && bindings !== null) return Object.values(bindings).some((b) => touchesView(b, viewId));
  return false;
}

/**
 * A statement SurrealDB itself refuses (a type error on a schema field), put last
 * in a transaction so that the whole transaction fails for real, as an oversized
 * one would.
 */
const REFUSED_STATEMENT = "UPSERT _spooky_incantation:⟨injected refusal⟩ SET clientId = 0 RETURN NONE;\n";

/** Counts round trips, and fails them on demand (as a lost connection would, or as SurrealDB refusing them). */
export class TestDatabase implements EdgeDatabase {
  readonly inner: EdgeDatabase;
  queries: string[] = [];
  /** Transactions it matches are refused by SurrealDB for real (a permanent failure). */
  refuse: ((text: string, bindings: Record<string, unknown>) => boolean) | undefined;
  /** How many transactions `refuse` matched. */
  refused = 0;
  /** While true, every query fails before reaching SurrealDB. */
  failing = false;
  /** Queries that will fail before `failing` rules. */
  failNext = 0;
  /** When set, queries wait for it before running. */
  gate: Promise<void> | undefined;

  constructor(inner: EdgeDatabase) {
    this.inner = inner;
  }

  get roundTrips(): number {
    return this.queries.length;
  }

  async query(text: string, bindings: Record<string, unknown>): Promise<unknown[]> {
    this.queries.push(text);
    if (this.gate !== undefined) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("injected fault: connection lost");
    }
    if (this.failing) throw new Error("injected fault: connection lost");
    if (this.refuse?.(text, bindings) === true && text.includes("COMMIT TRANSACTION;")) {
      this.refused++;
      return this.inner.query(text.replace("COMMIT TRANSACTION;", `${REFUSED_STATEMENT}COMMIT TRANSACTION;`), bindings);
    }
    return this.inner.query(text, bindings);
  }

  isReachable(): Promise<boolean> {
    return this.failing ? Promise.resolve(false) : this.inner.isReachable();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface TestStore {
  readonly store: EdgeStore;
  readonly db: TestDatabase;
  readonly connection: SurrealConnection;
  readonly dataDir: string;
  /** Closes the store (and the connection) and removes the temp dir. */
  cleanup(): Promise<void>;
}

/** The embedded engine may still be writing files just after close(): retry. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "ssp-edges-"));
}

/**
 * Creates SSP's schema in a surrealkv database from a child process. Needed by
 * tests that close and reopen the embedded engine: in @surrealdb/node 3.0.3 a
 * process that ran `DEFINE INDEX` never releases the datastore (and cannot exit on
 * its own), so it could not reopen the same path; a process that only uses an
 * existing index can.
 */
export async function prepareSurrealKv(url: string): Promise<void> {
  const queries = (await loadMigrations()).map(
    (m) => `BEGIN TRANSACTION;\n${m.text}\n;UPSERT _spooky_meta:schema SET version = ${m.version};\nCOMMIT TRANSACTION;`,
  );
  const script = `
    import { Surreal } from "surrealdb";
    import { createNodeEngines } from "@surrealdb/node";
    const [url, queries] = JSON.parse(process.argv[1]);
    const db = new Surreal({ engines: createNodeEngines() });
    await db.connect(url, { namespace: "ssp", database: "test" });
    await db.query("DEFINE TABLE IF NOT EXISTS _spooky_meta SCHEMALESS").collect();
    for (const q of queries) await db.query(q).collect();
    await db.close();
    process.exit(0);`;
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", script, JSON.stringify([url, queries])], { cwd: process.cwd() }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

export async function openConnection(url = "mem://"): Promise<SurrealConnection> {
  const migrations = await loadMigrations();
  return SurrealConnection.open({
    url,
    namespace: "ssp",
    database: "test",
    reconnect: { initialMs: 200, maxMs: 400 },
    connectTimeoutMs: 5_000,
    onConnected: async (db) => {
      await migrate(db, migrations);
    },
  });
}

export async function openTestStore(
  options: { url?: string; dataDir?: string; connection?: SurrealConnection; transactionTimeoutMs?: number; keepConnectionOpen?: boolean; onMetric?: (metric: EdgeMetric) => void; maxTransactionBytes?: number } = {},
): Promise<TestStore> {
  const dataDir = options.dataDir ?? (await tempDir());
  const connection = options.connection ?? (await openConnection(options.url));
  const db = new TestDatabase(
    options.keepConnectionOpen === true
      ? { query: (text, bindings) => connection.query(text, bindings), isReachable: () => connection.isReachable(), close: async () => {} }
      : connection,
  );
  const store = await createEdgeStore({
    database: db,
    dataDir,
    retry: { initialMs: 5, maxMs: 40 },
    transactionTimeoutMs: options.transactionTimeoutMs ?? 30_000,
    onMetric: options.onMetric,
    maxTransactionBytes: options.maxTransactionBytes,
  });
  return {
    store,
    db,
    connection,
    dataDir,
    cleanup: async () => {
      await store.close();
      await removeDir(dataDir);
    },
  };
}

export interface EdgeRow {
  readonly viewId: string;
  readonly record: string;
  readonly version: number;
  readonly clientId: string;
}

/** Every `_spooky_list_ref` edge as a sortable plain row; throws on a non-canonical id. */
export async function readEdges(db: EdgeDatabase): Promise<EdgeRow[]> {
  const [rows] = (await db.query("SELECT id, in, out, version, clientId FROM _spooky_list_ref", {})) as [
    { id: SdkRecordId; in: SdkRecordId; out: SdkRecordId; version: number; clientId: string }[],
  ];
  return rows
    .map((r) => {
      const viewId = r.in.id as string;
      const expectedId = new SdkRecordId("_spooky_list_ref", [viewId, r.out]);
      if (!r.id.equals(expectedId)) throw new Error(`edge ${r.id.toString()} does not have the deterministic id ${expectedId.toString()}`);
      return { viewId, record: recordText(r.out), version: r.version, clientId: r.clientId };
    })
    .sort(byJson);
}

export interface ViewRow {
  readonly viewId: string;
  readonly clientId: string;
  readonly surrealQL: string;
}

export async function readViews(db: EdgeDatabase): Promise<ViewRow[]> {
  const [rows] = (await db.query("SELECT id, clientId, surrealQL FROM _spooky_incantation", {})) as [
    { id: SdkRecordId; clientId: string; surrealQL: string }[],
  ];
  return rows.map((r) => ({ viewId: r.id.id as string, clientId: r.clientId, surrealQL: r.surrealQL })).sort(byJson);
}

/** The same text for a circuit RecordId and an SDK one: `table` + JSON-typed key. */
export function recordText(id: RecordId | SdkRecordId): string {
  if (id instanceof SdkRecordId) return JSON.stringify([id.table.name, id.id]);
  return JSON.stringify([id.table, id.key]);
}

export function byJson<T>(a: T, b: T): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The physical limit: the edge transactions SSP owes, committed straight to an
 * embedded surrealkv SurrealDB from this process, without SSP. The statements come
 * from the edge layer's own compiler (src/edges/transaction.ts), so they are the
 * same statements; concurrent callers are folded into one transaction while
 * another is in flight (group commit), as DESIGN.md says SSP does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadMigrations, migrate } from "../../src/edges/index.js";
import { SurrealConnection } from "../../src/surreal/index.js";
import { compileTransaction, planBlindOps } from "../../src/edges/transaction.js";
import type { EdgeOp } from "../../src/edges/types.js";
import { closedLoop, type LoadResult } from "./service-load.js";

interface Waiter {
  readonly op: EdgeOp;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Folds every op submitted while a transaction is in flight into the next one. */
export class GroupCommitter {
  readonly #db: SurrealConnection;
  #pending: Waiter[] = [];
  #flushing = false;
  transactions = 0;

  constructor(db: SurrealConnection) {
    this.#db = db;
  }

  submit(op: EdgeOp): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ op, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#pending.length > 0) {
      const group = this.#pending;
      this.#pending = [];
      try {
        const tx = compileTransaction(planBlindOps(group.map((w) => w.op)));
        await this.#db.query(tx.text, tx.bindings);
        this.transactions += 1;
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.#flushing = false;
  }
}

export interface Baseline {
  readonly db: SurrealConnection;
  close(): Promise<void>;
}

/** A fresh surrealkv database with SSP's schema (its migrations). */
export async function openBaseline(): Promise<Baseline> {
  const dir = mkdtempSync(path.join(tmpdir(), "ssp-baseline-"));
  const migrations = await loadMigrations();
  const db = await SurrealConnection.open({
    url: `surrealkv://${path.join(dir, "surreal")}`,
    namespace: "spooky",
    database: "ssp",
    onConnected: async (conn) => {
      await migrate(conn, migrations);
    },
  });
  return {
    db,
    close: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Commits `ops` in order from `concurrency` callers through one group committer. */
export async function replay(db: SurrealConnection, ops: readonly EdgeOp[], concurrency: number): Promise<LoadResult & { transactions: number }> {
  const committer = new GroupCommitter(db);
  let next = 0;
  const result = await closedLoop(concurrency, 3_600, () => committer.submit(ops[next++]!), ops.length);
  return { ...result, transactions: committer.transactions };
}

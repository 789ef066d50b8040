import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openEdgeStore } from "../../src/edges/edge-store.js";
import type { EdgeMetric } from "../../src/edges/types.js";
import { member, removeDir, rid, spec, tempDir, viewDelta } from "./fixtures.js";

describe("openEdgeStore", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("opens an embedded surrealkv database, migrates it, writes edges and reports metrics", async () => {
    const metrics: EdgeMetric[] = [];
    const store = await openEdgeStore({
      url: `surrealkv://${join(dir, "db")}`,
      namespace: "ssp",
      database: "main",
      dataDir: join(dir, "data"),
      onMetric: (m) => metrics.push(m),
    });
    try {
      expect(await store.isReachable()).toBe(true);
      expect(await store.applyRegister(spec("v"), [member(rid("thread", 1))])).toBe("committed");
      expect(await store.applyIngest([viewDelta("v", "client-a", [["UPDATED", rid("thread", 1), 2], ["CREATED", rid("thread", 2), 1]])])).toBe("committed");
      expect(await store.applyIngest([viewDelta("v", "client-a", [["DELETED", rid("thread", 2), 1]])])).toBe("committed");
      const stats = store.stats();
      expect(stats).toMatchObject({ roundTrips: 4, failedRoundTrips: 0, pending: 0 });
      expect(stats.edgeOperations).toMatchObject({ relate: 3, delete: 1, metadata: 1 });
      expect(metrics.filter((m) => m.kind === "roundTrip")).toHaveLength(4);
    } finally {
      await store.close();
    }
  });

  it("refuses a URL it cannot serve, before connecting", async () => {
    await expect(openEdgeStore({ url: "ftp://x", namespace: "a", database: "b", dataDir: dir })).rejects.toThrow(/unsupported scheme/);
  });

  it("starts while a remote SurrealDB is down, not reachable, with writes pending in the outbox", async () => {
    const store = await openEdgeStore({
      url: "ws://127.0.0.1:9/rpc",
      namespace: "a",
      database: "b",
      dataDir: join(dir, "data"),
      connectTimeoutMs: 300,
    });
    try {
      expect(await store.isReachable()).toBe(false);
      expect(await store.applyUnregister("v")).toBe("pending");
      expect(store.pending()).toBe(1);
    } finally {
      await store.close();
    }
  });
});

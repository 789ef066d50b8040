import { appendFile, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OUTBOX_FILE, Outbox } from "../../src/edges/outbox.js";
import type { EdgeOp } from "../../src/edges/types.js";
import { removeDir, tempDir } from "./fixtures.js";

const op = (viewId: string): EdgeOp => ({ kind: "unregister", viewId });

describe("outbox file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it("keeps unacknowledged entries in order across a reopen", async () => {
    const a = await Outbox.open(dir);
    await a.append([op("1"), op("2"), op("3")]);
    await a.ack(1);
    await a.close();
    const b = await Outbox.open(dir);
    expect(b.peek(10).map((e) => e.op)).toEqual([op("2"), op("3")]);
    await b.close();
  });

  it("drops a torn last line and keeps appending after the valid prefix", async () => {
    const a = await Outbox.open(dir);
    await a.append([op("1"), op("2")]);
    await a.close();
    await appendFile(join(dir, OUTBOX_FILE), '1234abcd {"seq":3,"op":{"kind":"unre');
    const b = await Outbox.open(dir);
    expect(b.peek(10).map((e) => e.op)).toEqual([op("1"), op("2")]);
    await b.append([op("4")]);
    await b.close();
    const c = await Outbox.open(dir);
    expect(c.peek(10).map((e) => e.op)).toEqual([op("1"), op("2"), op("4")]);
    await c.close();
  });

  it("stops at a line whose checksum does not match", async () => {
    const a = await Outbox.open(dir);
    await a.append([op("1"), op("2")]);
    await a.close();
    const text = await readFile(join(dir, OUTBOX_FILE), "utf8");
    const corrupted = text.replace('"viewId":"2"', '"viewId":"X"');
    await (await import("node:fs/promises")).writeFile(join(dir, OUTBOX_FILE), corrupted);
    const b = await Outbox.open(dir);
    expect(b.peek(10).map((e) => e.op)).toEqual([op("1")]);
    await b.close();
  });

  it("is cut to empty once everything is acknowledged", async () => {
    const a = await Outbox.open(dir);
    const seqs = await a.append([op("1"), op("2")]);
    await a.ack(seqs.at(-1)!);
    expect(a.size).toBe(0);
    expect((await stat(join(dir, OUTBOX_FILE))).size).toBe(0);
    await a.close();
  });

  it("keeps set-aside entries and their repairs across a reopen, and is cut once nothing waits or is stale", async () => {
    const a = await Outbox.open(dir);
    const [first, second] = await a.append([op("1"), op("2"), op("3")]);
    await a.setAsideEntry(first!, ["v1", "v2"], "refused");
    await a.setAsideEntry(second!, "all", "refused too");
    await a.repaired(["v1"]);
    await a.close();

    const b = await Outbox.open(dir);
    expect(b.peek(10).map((e) => e.op)).toEqual([op("3")]);
    expect(b.setAside.map((e) => [e.seq, e.kind, e.views, e.reason])).toEqual([
      [first, "unregister", ["v2"], "refused"],
      [second, "unregister", "all", "refused too"],
    ]);
    await b.ack(b.peek(1)[0]!.seq);
    expect((await stat(join(dir, OUTBOX_FILE))).size).toBeGreaterThan(0);
    await b.repaired("all");
    expect(b.setAside).toEqual([]);
    expect((await stat(join(dir, OUTBOX_FILE))).size).toBe(0);
    await b.close();
  });
});

/**
 * What a client sees is durable: the real core (circuit, the journal on a real
 * file, edges on an embedded SurrealDB, the hub), with the journal's fsync held
 * open. Until it completes, no stream gets the mutation's delta, no new stream
 * gets a snapshot showing it, and GetView does not answer with it; once it
 * completes, all of them do. A journal whose fsync fails ends the streams with
 * UNAVAILABLE instead of leaving them waiting.
 */
import { readlinkSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecordChange } from "../circuit/index.js";
import type { WatchMessage, WatchRequest } from "./core-api.js";
import { startRealCore, type RealCore } from "../../test/support/real-core.js";

type Datasync = FileHandle["datasync"];

/**
 * Holds every fsync of a journal segment (a file under a `journal` directory)
 * until release(), or fails it; other files (the outbox, snapshots) go through.
 */
class JournalFsync {
  private proto!: { datasync: Datasync };
  private original!: Datasync;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private failing: Error | undefined;
  /** Resolves when a held fsync was asked for. */
  entered!: Promise<void>;
  private onEnter!: () => void;

  async install(): Promise<void> {
    const probe = await open(path.join(tmpdir(), `ssp-fsync-probe-${process.pid}`), "w");
    this.proto = Object.getPrototypeOf(probe) as { datasync: Datasync };
    await probe.close();
    this.original = this.proto.datasync;
    const self = this;
    this.proto.datasync = async function (this: FileHandle) {
      if (readlinkSync(`/proc/self/fd/${this.fd}`).includes(`${path.sep}journal${path.sep}`)) {
        if (self.failing !== undefined) throw self.failing;
        if (self.gate !== undefined) {
          self.onEnter();
          await self.gate;
        }
      }
      return self.original.call(this);
    };
  }

  uninstall(): void {
    this.failing = undefined;
    this.release();
    this.proto.datasync = this.original;
  }

  hold(): void {
    this.entered = new Promise((resolve) => (this.onEnter = resolve));
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.gate = undefined;
    this.open?.();
    this.open = undefined;
  }

  fail(error: Error): void {
    this.failing = error;
  }
}

const VIEW = { id: "items", surql: "SELECT * FROM item", params: {}, clientId: "app", ttlMs: 60_000, lastActiveAt: 0 };
const create = (key: number): RecordChange => ({ op: "CREATE", id: `item:${key}`, body: { n: key } });

function watchRequest(resumeFrom: Record<string, number> = {}): WatchRequest {
  return { viewIds: [VIEW.id], clientId: undefined, resumeFrom: new Map(Object.entries(resumeFrom)), incarnation: undefined, includeRecords: true };
}

/** Whether `promise` settles within a few event-loop turns and `ms`. */
async function settlesWithin<T>(promise: Promise<T>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, ms));
  return settled;
}

function summary(event: WatchMessage): string {
  switch (event.kind) {
    case "snapshot":
      return `snapshot@${event.sequence}${event.reset ? " reset" : ""} [${event.members.map((m) => m.id.text).join(" ")}]`;
    case "delta":
      return `delta@${event.sequence} [${event.deltas.map((d) => `${d.event} ${d.id.text}`).join(" ")}]`;
    default:
      return event.kind;
  }
}

describe("the core delivers only durable state", () => {
  const fsync = new JournalFsync();
  let real: RealCore;
  let streams: AbortController;

  beforeEach(async () => {
    streams = new AbortController();
    await fsync.install();
    real = await startRealCore({ SURREALDB_URL: "mem://" });
    await real.core.registerView(VIEW);
    await real.core.ingest([create(1)]);
  });

  afterEach(async () => {
    streams.abort();
    fsync.uninstall();
    // After an injected journal failure the final save fails too: still remove the data dir.
    await real.close().catch(() => undefined);
    await real.dispose();
  });

  it("gives no stream a delta before the journal's fsync of its mutation completes", async () => {
    const stream = real.core.watch(watchRequest(), streams.signal)[Symbol.asyncIterator]();
    expect(summary((await stream.next()).value as WatchMessage)).toBe("snapshot@1 [item:1]");

    fsync.hold();
    const ingest = real.core.ingest([create(2)]);
    const next = stream.next();
    await fsync.entered;
    expect(await settlesWithin(next, 100)).toBe(false);
    expect(await settlesWithin(ingest, 0)).toBe(false);

    fsync.release();
    expect(summary((await next).value as WatchMessage)).toBe("delta@2 [CREATED item:2]");
    expect((await ingest).views.map((v) => v.sequence)).toEqual([2]);
  });

  it("holds a new stream's snapshot until the state it shows is durable", async () => {
    fsync.hold();
    const ingest = real.core.ingest([create(2)]);
    await fsync.entered;
    const stream = real.core.watch(watchRequest(), streams.signal)[Symbol.asyncIterator]();
    const first = stream.next();
    expect(await settlesWithin(first, 100)).toBe(false);

    fsync.release();
    expect(summary((await first).value as WatchMessage)).toBe("snapshot@2 [item:1 item:2]");
    await ingest;
  });

  it("resumes a cursor through a mutation in flight without a reset, once it is durable", async () => {
    fsync.hold();
    const ingest = real.core.ingest([create(2)]);
    await fsync.entered;
    const stream = real.core.watch(watchRequest({ [VIEW.id]: 1 }), streams.signal)[Symbol.asyncIterator]();
    const first = stream.next();
    expect(await settlesWithin(first, 100)).toBe(false);

    fsync.release();
    expect(summary((await first).value as WatchMessage)).toBe("delta@2 [CREATED item:2]");
    await ingest;
  });

  it("answers GetView and ListViews with a sequence only once it is durable", async () => {
    fsync.hold();
    const ingest = real.core.ingest([create(2)]);
    await fsync.entered;
    const view = real.core.getView(VIEW.id);
    const list = real.core.listViews();
    expect(await settlesWithin(view, 100)).toBe(false);
    expect(await settlesWithin(list, 0)).toBe(false);

    fsync.release();
    expect((await view)?.sequence).toBe(2);
    expect((await list).map((v) => v.sequence)).toEqual([2]);
    await ingest;
  });

  it("ends streams with UNAVAILABLE when the journal can no longer make anything durable", async () => {
    const stream = real.core.watch(watchRequest(), streams.signal)[Symbol.asyncIterator]();
    await stream.next();
    fsync.fail(new Error("EIO: injected"));
    const next = stream.next();
    await expect(real.core.ingest([create(2)])).rejects.toThrow(/EIO: injected/);
    await expect(next).rejects.toMatchObject({ code: "UNAVAILABLE" });
    await expect(real.core.getView(VIEW.id)).rejects.toMatchObject({ code: "UNAVAILABLE" });
    const late = real.core.watch(watchRequest(), streams.signal)[Symbol.asyncIterator]();
    await expect(late.next()).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });
});

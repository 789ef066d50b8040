/**
 * What a WatchDeltas client does with a stream: keeps each view's membership and
 * sequence, replaces it on a snapshot, applies deltas, and checks that they are
 * gap-free. It reads at its own pace and can drop its connection at any point,
 * then resume from its cursors.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import type { DeltaHub, WatchMessage } from "../../../src/streaming/index.js";
import { request } from "./world.js";

export interface ClientView {
  sequence: number;
  members: Map<string, number>;
  /** The sequence of the first snapshot received for the view. */
  since: number;
  /** Every delta applied since the view's first snapshot, as "seq EVENT id=version". */
  deltas: string[];
  /** Record bodies by id, when the stream includes them. */
  bodies: Map<string, unknown>;
}

const NOTHING = Symbol("nothing queued");

export class ClientModel {
  readonly views = new Map<string, ClientView>();
  readonly snapshots: { viewId: string; reset: boolean; first: boolean }[] = [];
  private stream: AsyncIterator<WatchMessage> | undefined;
  private abort: AbortController | undefined;
  private pending: Promise<IteratorResult<WatchMessage>> | undefined;

  constructor(
    private readonly hub: DeltaHub,
    private readonly follow: { viewIds?: string[]; clientId?: string; includeRecords?: boolean },
  ) {}

  connect(): void {
    this.abort = new AbortController();
    const resume = Object.fromEntries([...this.views].map(([id, view]) => [id, view.sequence]));
    this.stream = this.hub.subscribe(request({ ...this.follow, resume }), this.abort.signal)[Symbol.asyncIterator]();
  }

  disconnect(): void {
    this.abort?.abort();
    this.stream = undefined;
    this.pending = undefined;
  }

  /** Reads up to `limit` messages that are already queued; returns how many. */
  async read(limit = Infinity): Promise<number> {
    let count = 0;
    while (count < limit && this.stream !== undefined) {
      this.pending ??= this.stream.next();
      const result = await Promise.race([this.pending, nextMacrotask().then((): typeof NOTHING => NOTHING)]);
      if (result === NOTHING) break;
      this.pending = undefined;
      if (result.done) {
        this.stream = undefined;
        break;
      }
      this.apply(result.value);
      count++;
    }
    return count;
  }

  private apply(message: WatchMessage): void {
    switch (message.kind) {
      case "snapshot": {
        const first = !this.views.has(message.viewId);
        this.snapshots.push({ viewId: message.viewId, reset: message.reset, first });
        const previous = this.views.get(message.viewId);
        this.views.set(message.viewId, {
          sequence: message.sequence,
          members: new Map(message.members.map((m) => [m.id.text, m.version])),
          since: previous?.since ?? message.sequence,
          deltas: previous?.deltas ?? [],
          bodies: new Map(message.records ?? []),
        });
        break;
      }
      case "delta": {
        const view = this.views.get(message.viewId);
        if (view === undefined) throw new Error(`delta for ${message.viewId} before its snapshot`);
        if (message.sequence !== view.sequence + 1) {
          throw new Error(`${message.viewId}: got sequence ${message.sequence} after ${view.sequence}`);
        }
        view.sequence = message.sequence;
        for (const d of message.deltas) {
          if (d.event === "DELETED") {
            view.members.delete(d.id.text);
            view.bodies.delete(d.id.text);
          } else {
            view.members.set(d.id.text, d.version);
            if (d.record !== undefined) view.bodies.set(d.id.text, d.record);
          }
          view.deltas.push(`${message.sequence} ${d.event} ${d.id.text}=${d.version}`);
        }
        break;
      }
      case "closed":
        this.views.delete(message.viewId);
        break;
      case "heartbeat":
        break;
    }
  }
}

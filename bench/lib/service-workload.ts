/**
 * The service benchmark's workload: chat messages in 100 rooms, one filter view
 * per room (`SELECT * FROM message WHERE room = $room`), so every ingest changes
 * exactly one view's membership and writes one edge. Seeded, so runs compare.
 */
import { create } from "@bufbuild/protobuf";
import { DeltaEvent, Operation, RecordChangeSchema, type RecordChange, type ViewDelta } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import type { EdgeOp, MemberRef, RecordRef, ViewEdgeChanges } from "../../src/edges/types.js";
import { createRng, type Rng } from "../engine/prng.js";

export const VIEW_SURQL = "SELECT * FROM message WHERE room = $room";
export const CLIENT_ID = "bench";

export const roomOf = (i: number): string => `room-${i}`;
export const viewIdOf = (i: number): string => `room-view-${i}`;

/** Generates message changes: mostly creates, some updates and deletes of live messages. */
export class MessageStream {
  readonly #rng: Rng;
  readonly #rooms: number;
  readonly #live: number[] = [];
  #next = 0;

  constructor(seed: number, rooms: number, firstKey = 0) {
    this.#rng = createRng(seed);
    this.#rooms = rooms;
    this.#next = firstKey;
  }

  /** Creates only (a fresh id each time): what the latency measurements use, so ids identify ingests. */
  create(): RecordChange {
    const n = this.#next++;
    this.#live.push(n);
    return create(RecordChangeSchema, {
      table: "message",
      op: Operation.CREATE,
      id: `message:m${n}`,
      record: { room: roomOf(this.#rng.int(this.#rooms)), n, text: `hello ${n}`, created_at: n } as never,
    });
  }

  /** 70% creates, 20% updates (changing the room half the time), 10% deletes. */
  mixed(): RecordChange {
    const roll = this.#rng.next();
    if (this.#live.length < 100 || roll < 0.7) return this.create();
    const at = this.#rng.int(this.#live.length);
    const n = this.#live[at]!;
    if (roll < 0.9) {
      return create(RecordChangeSchema, {
        table: "message",
        op: Operation.UPDATE,
        id: `message:m${n}`,
        record: { room: roomOf(this.#rng.int(this.#rooms)), n, text: `edited ${n} ${this.#rng.int(1e9)}`, created_at: n } as never,
      });
    }
    this.#live[at] = this.#live[this.#live.length - 1]!;
    this.#live.pop();
    return create(RecordChangeSchema, { table: "message", op: Operation.DELETE, id: `message:m${n}` });
  }
}

function splitId(id: string): RecordRef {
  const colon = id.indexOf(":");
  const key = id.slice(colon + 1);
  return [id.slice(0, colon), /^\d+$/.test(key) ? Number(key) : key];
}

/** The edge writes SSP owes for one ingest, rebuilt from the deltas it answered with. */
export function edgeOpOf(views: readonly ViewDelta[], clientId = CLIENT_ID): EdgeOp {
  const changes: ViewEdgeChanges[] = views.map((v) => {
    const upserts: MemberRef[] = [];
    const deletes: RecordRef[] = [];
    for (const d of v.deltas) {
      const [table, key] = splitId(d.id);
      if (d.event === DeltaEvent.DELETED) deletes.push([table, key]);
      else upserts.push([table, key, Number(d.version)]);
    }
    return { viewId: v.viewId, clientId, upserts, deletes };
  });
  return { kind: "ingest", views: changes };
}

/**
 * W2 fan-out: N views `WHERE room = $room ORDER BY created_at DESC LIMIT 50`,
 * one per room, over messages spread across many rooms. The stream posts,
 * edits and deletes messages in rooms that have a view, so every ingest
 * affects one view whatever N is: the cost of N itself is what is measured.
 */
import type { RecordChange } from "../../../src/circuit/index.js";
import { createRng } from "../prng.js";
import { LiveIds, link, viewSpec, type Body, type Workload } from "./workload.js";

export interface FanOutSizes {
  readonly messages: number;
  /** Rooms the initial messages are spread over (at least `views`). */
  readonly rooms: number;
  readonly views: number;
}

export const FAN_OUT_QUERY = "SELECT * FROM message WHERE room = $room ORDER BY created_at DESC LIMIT 50";

export function fanOutWorkload(sizes: FanOutSizes, seed: number): Workload {
  const rng = createRng(seed);
  const bodies = new Map<string, Body>();
  // Recent messages of viewed rooms: the ones users edit and delete.
  const recent = new LiveIds();
  let clock = 0;
  let nextKey = 1;

  const post = (room: number): RecordChange => {
    const id = `message:${nextKey++}`;
    const body: Body = {
      room: link(`room:${room}`),
      author: link(`user:${1 + rng.int(5_000)}`),
      text: `message ${nextKey} in room ${room}`,
      likes: rng.int(100),
      created_at: ++clock,
    };
    bodies.set(id, body);
    return { op: "CREATE", id, body };
  };

  const records: RecordChange[] = [];
  for (let i = 0; i < sizes.messages; i++) records.push(post(rng.int(sizes.rooms)));
  const views = Array.from({ length: sizes.views }, (_, i) => viewSpec(`room-${i}`, FAN_OUT_QUERY, { room: link(`room:${i}`) }));

  const next = (): RecordChange => {
    const roll = rng.next();
    const id = recent.pick(rng.next());
    if (roll < 0.7 || id === undefined) {
      const change = post(rng.int(sizes.views));
      recent.add(change.id);
      if (recent.size > 1_000) recent.remove(recent.pick(rng.next())!);
      return change;
    }
    if (roll < 0.9) {
      const body: Body = { ...bodies.get(id)!, likes: rng.int(1_000), text: `edited ${clock}` };
      bodies.set(id, body);
      return { op: "UPDATE", id, body };
    }
    recent.remove(id);
    bodies.delete(id);
    return { op: "DELETE", id };
  };

  return {
    name: `W2-fan-out-${sizes.views}`,
    title: `W2 fan-out: ${sizes.views.toLocaleString("en")} room views`,
    parameters: { messages: sizes.messages, rooms: sizes.rooms, views: sizes.views },
    tables: ["message"],
    records,
    views,
    next,
    surrealIndexes: [{ table: "message", field: "room" }],
    probeTable: "message",
    probeView: (i) => viewSpec(`probe-${i}`, "SELECT * FROM message WHERE likes >= $lo AND likes < $hi", { lo: i, hi: i + 3 }),
  };
}

/**
 * W3 subqueries: forum views listing threads with their author (`[0]`) and
 * their top-10 comments, in two shapes: two levels, and three levels (each
 * comment with its author). The stream adds and deletes comments, renames
 * users, and creates and deletes threads (a deleted thread's comments and
 * author leave the views unless another path still reaches them).
 */
import type { RecordChange } from "../../../src/circuit/index.js";
import { createRng } from "../prng.js";
import { LiveIds, link, viewSpec, type Body, type Workload } from "./workload.js";

export interface SubquerySizes {
  readonly users: number;
  readonly forums: number;
  readonly threads: number;
  readonly comments: number;
  /** Views, half of each shape; each watches one forum. */
  readonly views: number;
}

const AUTHOR = "(SELECT * FROM user WHERE id = $parent.author)[0] AS author";
const COMMENTS_2 = "(SELECT * FROM comment WHERE thread = $parent.id ORDER BY created_at DESC LIMIT 10) AS comments";
const COMMENTS_3 = `(SELECT *, ${AUTHOR} FROM comment WHERE thread = $parent.id ORDER BY created_at DESC LIMIT 10) AS comments`;
export const TWO_LEVELS = `SELECT *, ${AUTHOR}, ${COMMENTS_2} FROM thread WHERE forum = $forum ORDER BY created_at DESC LIMIT 10`;
export const THREE_LEVELS = `SELECT *, ${AUTHOR}, ${COMMENTS_3} FROM thread WHERE forum = $forum ORDER BY created_at DESC LIMIT 10`;

export function subqueryWorkload(sizes: SubquerySizes, seed: number): Workload {
  const rng = createRng(seed);
  const users = new LiveIds();
  const threads = new LiveIds();
  const comments = new LiveIds();
  const bodies = new Map<string, Body>();
  const keys = { user: 1, thread: 1, comment: 1 };
  let clock = 0;

  const createUser = (): RecordChange => {
    const id = `user:${keys.user++}`;
    const body: Body = { name: `user ${keys.user}`, karma: rng.int(1000) };
    users.add(id);
    bodies.set(id, body);
    return { op: "CREATE", id, body };
  };
  const createThread = (): RecordChange => {
    const id = `thread:${keys.thread++}`;
    const body: Body = {
      forum: link(`forum:${rng.int(sizes.forums)}`),
      author: link(users.pick(rng.next())!),
      title: `thread ${keys.thread}`,
      created_at: ++clock,
    };
    threads.add(id);
    bodies.set(id, body);
    return { op: "CREATE", id, body };
  };
  const createComment = (): RecordChange => {
    const id = `comment:${keys.comment++}`;
    const body: Body = {
      thread: link(threads.pick(rng.next())!),
      author: link(users.pick(rng.next())!),
      text: `comment ${keys.comment}`,
      created_at: ++clock,
    };
    comments.add(id);
    return { op: "CREATE", id, body };
  };

  const records: RecordChange[] = [];
  for (let i = 0; i < sizes.users; i++) records.push(createUser());
  for (let i = 0; i < sizes.threads; i++) records.push(createThread());
  for (let i = 0; i < sizes.comments; i++) records.push(createComment());

  const views = Array.from({ length: sizes.views }, (_, i) =>
    viewSpec(`forum-${i}`, i % 2 === 0 ? TWO_LEVELS : THREE_LEVELS, { forum: link(`forum:${Math.floor(i / 2) % sizes.forums}`) }),
  );

  const next = (): RecordChange => {
    const roll = rng.next();
    if (roll < 0.5) return createComment();
    if (roll < 0.65) {
      const id = users.pick(rng.next())!;
      const body: Body = { ...bodies.get(id)!, name: `renamed ${clock++}` };
      bodies.set(id, body);
      return { op: "UPDATE", id, body };
    }
    if (roll < 0.75) {
      const id = comments.pick(rng.next())!;
      comments.remove(id);
      return { op: "DELETE", id };
    }
    if (roll < 0.85) return createThread();
    if (roll < 0.9) {
      const id = threads.pick(rng.next())!;
      const body: Body = { ...bodies.get(id)!, title: `retitled ${clock++}` };
      bodies.set(id, body);
      return { op: "UPDATE", id, body };
    }
    const id = threads.pick(rng.next())!;
    if (threads.size <= 1) return createThread();
    threads.remove(id);
    bodies.delete(id);
    return { op: "DELETE", id };
  };

  return {
    name: "W3-subqueries",
    title: "W3 subqueries: threads + [0] author + top-10 comments (2 and 3 levels)",
    parameters: { ...sizes, records: sizes.users + sizes.threads + sizes.comments },
    tables: ["user", "thread", "comment"],
    records,
    views,
    next,
    surrealIndexes: [
      { table: "thread", field: "forum" },
      { table: "comment", field: "thread" },
    ],
    probeTable: "comment",
    probeView: (i) => viewSpec(`probe-${i}`, "SELECT * FROM comment WHERE created_at >= $from AND created_at < $to", { from: i * 100, to: i * 100 + 50 }),
  };
}

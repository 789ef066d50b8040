/**
 * `field CONTAINS E`, `field IN E`, `field CONTAINSANY E`…: instances are
 * filed under each of their keys, rows visit the instances of each of theirs
 * (old and new). An instance whose value has no keys (a string, tested by
 * substring) is visited by every row; a row whose value has none (a string
 * field) visits every instance. With a refining conjunct each bucket is an
 * index by it, asked with the old value for the old keys and the new value
 * for the new ones.
 */
import { ANY_KEY, type MemberDispatch, type RowKeys } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import { Buckets } from "./buckets.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";

const NO_KEYS: readonly unknown[] = [];

export class MemberIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: MemberDispatch;
  private readonly byKey: Buckets<I>;
  private readonly unkeyed: InstanceIndex<I>;
  private readonly keysOf = new Map<I, readonly unknown[] | undefined>();
  /** Instances filed under more than one key: a row may reach them twice. */
  private multiKeyed = 0;

  /** `newBucket`: an empty index by the refining conjunct (or a plain set). */
  constructor(dispatch: MemberDispatch, newBucket: () => InstanceIndex<I>) {
    this.dispatch = dispatch;
    this.byKey = new Buckets(newBucket);
    this.unkeyed = newBucket();
  }

  get size(): number {
    return this.keysOf.size;
  }

  add(inst: I): void {
    const keys = this.dispatch.envKeys(inst.env);
    const distinct = keys && [...new Set(keys)];
    this.keysOf.set(inst, distinct);
    if (!distinct) {
      this.unkeyed.add(inst);
      return;
    }
    if (distinct.length > 1) this.multiKeyed++;
    for (const k of distinct) this.byKey.add(k, inst);
  }

  delete(inst: I): void {
    if (!this.keysOf.has(inst)) return;
    const keys = this.keysOf.get(inst);
    this.keysOf.delete(inst);
    if (!keys) {
      this.unkeyed.delete(inst);
      return;
    }
    if (keys.length > 1) this.multiKeyed--;
    for (const k of keys) this.byKey.delete(k, inst);
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    this.unkeyed.collect(before, after, out);
    if (this.byKey.size === 0) return;
    const kb: RowKeys = before ? this.dispatch.rowKeys(before) : NO_KEYS;
    const ka: RowKeys = after ? this.dispatch.rowKeys(after) : NO_KEYS;
    const start = out.length;
    if (kb === ANY_KEY || ka === ANY_KEY) {
      for (const bucket of this.byKey.values()) bucket.collect(before, after, out);
    } else {
      // Each key once (a row's array may repeat one): a bucket is asked about both values when both have its key.
      for (let i = 0; i < kb.length; i++) {
        const k = kb[i];
        if (repeats(kb, i)) continue;
        this.byKey.get(k)?.collect(before, ka.includes(k) ? after : undefined, out);
      }
      for (let i = 0; i < ka.length; i++) {
        const k = ka[i];
        if (kb.includes(k) || repeats(ka, i)) continue;
        this.byKey.get(k)?.collect(undefined, after, out);
      }
    }
    // Only an instance filed under several keys can be reached through two buckets.
    if (this.multiKeyed > 0) dedupe(out, start);
  }
}

/** Whether keys[i] is among the keys before it (SameValueZero, as Map keys and `includes`). */
function repeats(keys: readonly unknown[], i: number): boolean {
  const k = keys[i];
  for (let j = 0; j < i; j++) {
    const x = keys[j];
    if (x === k || (x !== x && k !== k)) return true;
  }
  return false;
}

/** Drops repeats from `out[start…]`, keeping first occurrences in order (a scan when few, as most are). */
function dedupe<I>(out: I[], start: number): void {
  const n = out.length - start;
  if (n < 2) return;
  if (n <= 16) {
    let w = start;
    for (let r = start; r < out.length; r++) {
      const x = out[r]!;
      let repeat = false;
      for (let j = start; j < w; j++) if (out[j] === x) repeat = true;
      if (!repeat) out[w++] = x;
    }
    out.length = w;
    return;
  }
  const seen = new Set<I>();
  let w = start;
  for (let r = start; r < out.length; r++) {
    const x = out[r]!;
    if (seen.has(x)) continue;
    seen.add(x);
    out[w++] = x;
  }
  out.length = w;
}

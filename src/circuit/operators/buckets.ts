/**
 * Instances filed under dispatch keys, each key's bucket an index of its own
 * (by a refining conjunct, or a plain set): what the equality and membership
 * indices share. An empty bucket is dropped, so the map holds only live keys.
 */
import type { Indexed, InstanceIndex } from "./instance-index.js";

export class Buckets<I extends Indexed> {
  private readonly byKey = new Map<unknown, InstanceIndex<I>>();
  private readonly newBucket: () => InstanceIndex<I>;

  /** `newBucket`: an empty index by the refining conjunct (or a plain set). */
  constructor(newBucket: () => InstanceIndex<I>) {
    this.newBucket = newBucket;
  }

  /** How many keys have instances. */
  get size(): number {
    return this.byKey.size;
  }

  get(key: unknown): InstanceIndex<I> | undefined {
    return this.byKey.get(key);
  }

  values(): IterableIterator<InstanceIndex<I>> {
    return this.byKey.values();
  }

  add(key: unknown, inst: I): void {
    let bucket = this.byKey.get(key);
    if (!bucket) this.byKey.set(key, (bucket = this.newBucket()));
    bucket.add(inst);
  }

  delete(key: unknown, inst: I): void {
    const bucket = this.byKey.get(key);
    if (!bucket) return;
    bucket.delete(inst);
    if (bucket.size === 0) this.byKey.delete(key);
  }
}

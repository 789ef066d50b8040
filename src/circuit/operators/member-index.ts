/**
 * `field CONTAINS E`, `field IN E`, `field CONTAINSANY E`…: instances are
 * filed under each of their keys, rows visit the instances of each of theirs
 * (old and new). An instance whose value has no keys (a string, tested by
 * substring) is visited by every row; a row whose value has none (a string
 * field) visits every instance.
 */
import { ANY_KEY, type MemberDispatch, type RowKeys } from "../plan/dispatch.js";
import type { Row } from "../store.js";
import type { Indexed, InstanceIndex } from "./instance-index.js";

export class MemberIndex<I extends Indexed> implements InstanceIndex<I> {
  private readonly dispatch: MemberDispatch;
  private readonly byKey = new Map<unknown, Set<I>>();
  private readonly unkeyed = new Set<I>();
  private readonly keysOf = new Map<I, readonly unknown[] | undefined>();
  private keyed = 0;

  constructor(dispatch: MemberDispatch) {
    this.dispatch = dispatch;
  }

  add(inst: I): void {
    const keys = this.dispatch.envKeys(inst.env);
    this.keysOf.set(inst, keys);
    if (!keys) {
      this.unkeyed.add(inst);
      return;
    }
    this.keyed++;
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(inst);
    }
  }

  delete(inst: I): void {
    const keys = this.keysOf.get(inst);
    this.keysOf.delete(inst);
    if (!keys) {
      this.unkeyed.delete(inst);
      return;
    }
    this.keyed--;
    for (const k of keys) {
      const set = this.byKey.get(k);
      set?.delete(inst);
      if (set && set.size === 0) this.byKey.delete(k);
    }
  }

  collect(before: Row | undefined, after: Row | undefined, out: I[]): void {
    for (const i of this.unkeyed) out.push(i);
    if (this.keyed === 0) return;
    const kb: RowKeys = before ? this.dispatch.rowKeys(before) : [];
    const ka: RowKeys = after ? this.dispatch.rowKeys(after) : [];
    if (kb === ANY_KEY || ka === ANY_KEY) {
      for (const [inst, keys] of this.keysOf) if (keys) out.push(inst);
      return;
    }
    if (kb.length + ka.length === 1) {
      const set = this.byKey.get(kb.length === 1 ? kb[0] : ka[0]);
      if (set) for (const i of set) out.push(i);
      return;
    }
    const seen = new Set<I>();
    for (const keys of [kb, ka]) {
      for (const k of keys) {
        const set = this.byKey.get(k);
        if (set) for (const i of set) seen.add(i);
      }
    }
    for (const i of seen) out.push(i);
  }
}

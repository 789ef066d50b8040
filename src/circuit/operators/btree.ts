/**
 * The B+tree every ordered index here uses (`sorted-btree`). It is CommonJS:
 * Node's ESM loader hands its `exports` object over as the default import,
 * bundlers the class itself; this file takes whichever arrives.
 */
import sortedBtree from "sorted-btree";

export type BTree<K, V> = sortedBtree.default<K, V>;
export const BTree: typeof sortedBtree.default =
  (sortedBtree as unknown as { default?: typeof sortedBtree.default }).default ?? (sortedBtree as unknown as typeof sortedBtree.default);

/**
 * Field paths (`a.b[0].*`) evaluated with SurrealDB's rules: a field of an
 * array maps over its elements (`tags.name` → every tag's name), `[n]` indexes,
 * `*` spreads; anything else is NONE.
 *
 * Known gap: SurrealDB dereferences a record link met inside a path
 * (`author.name`); the circuit cannot see through links incrementally and
 * yields NONE there. Paths below `id` and below link-valued params are refused
 * before they get here (parse/compile.ts, params.ts).
 */
import type { Value } from "./value.js";
import { isObject } from "./value.js";

export type PathPart =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "all" };
export type Path = readonly PathPart[];

export function getPath(v: Value, path: Path, from = 0): Value {
  let cur = v;
  for (let i = from; i < path.length; i++) {
    const part = path[i]!;
    if (Array.isArray(cur)) {
      if (part.kind === "index") {
        cur = cur[part.index];
        continue;
      }
      const next = part.kind === "all" ? i + 1 : i;
      const arr = cur;
      return arr.map((el) => getPath(el, path, next));
    }
    if (part.kind === "field") {
      cur = isObject(cur) && Object.hasOwn(cur, part.name) ? cur[part.name] : undefined;
    } else if (part.kind === "all") {
      if (!isObject(cur)) return undefined;
      const obj = cur;
      return Object.keys(obj).map((k) => getPath(obj[k], path, i + 1));
    } else {
      return undefined;
    }
  }
  return cur;
}

/** A getter for `path`, specialised for the common one- and two-field paths (same results as getPath). */
export function pathGetter(path: Path): (v: Value) => Value {
  const [a, b] = path;
  if (path.length === 1 && a!.kind === "field") {
    const name = a!.name;
    return (v) => field(v, name);
  }
  if (path.length === 2 && a!.kind === "field" && b!.kind === "field") {
    const first = a!.name;
    const second = b!.name;
    return (v) => field(field(v, first), second);
  }
  return (v) => getPath(v, path);
}

/** An own field of an object; of an array, the field of each element; else NONE. */
function field(v: Value, name: string): Value {
  if (Array.isArray(v)) return v.map((el) => field(el, name));
  if (!isObject(v)) return undefined;
  const x = v[name];
  return x !== undefined && Object.hasOwn(v, name) ? x : undefined;
}

export function pathText(path: Path): string {
  let s = "";
  for (const p of path) {
    if (p.kind === "field") s += s.length ? `.${p.name}` : p.name;
    else if (p.kind === "index") s += `[${p.index}]`;
    else s += s.length ? ".*" : "*";
  }
  return s;
}

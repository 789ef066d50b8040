/**
 * Field paths (`a.b[0].*`) evaluated with SurrealDB's rules: a field of an
 * array maps over its elements (`tags.name` → every tag's name), `[n]` indexes,
 * `*` maps over an array, keeps an object whole and makes anything else `[x]`;
 * a field of anything but an object or array is NONE.
 *
 * A record link met with a field still to read (`author.name`) is followed
 * when a `Resolve` is given, as SurrealDB does in WHERE and in `$parent`
 * paths; without one (ORDER BY, which SurrealDB sorts on the stored document)
 * the field of a link is NONE. `[n]` of a link is NONE either way.
 */
import { RecordId } from "../record-id.js";
import type { Value } from "./value.js";
import { isObject } from "./value.js";

export type PathPart =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "all" };
export type Path = readonly PathPart[];

/** The linked record's body (its `id` included), or NONE when it does not exist. */
export type Resolve = (id: RecordId) => Value;

/**
 * A row evaluated as it was just before a change carries, under this key, the
 * resolver of that earlier state (the changed record as it was), so a path
 * crossing a link reads what the row read then. See link-index.ts.
 */
export const RESOLVE_BEFORE: unique symbol = Symbol("resolveBefore");

/** `resolve`, also adding the id text of every link it follows to `found`. */
export function recordingResolver(resolve: Resolve, found: Set<string>): Resolve {
  return (id) => {
    found.add(id.text);
    return resolve(id);
  };
}

/** The resolver for paths from `row`: its own earlier-state one, if it carries one. */
export function resolverFor(row: Value, fallback: Resolve): Resolve {
  return (isObject(row) && (row as { [RESOLVE_BEFORE]?: Resolve })[RESOLVE_BEFORE]) || fallback;
}

/** True when walking `path` may cross a record link: a field (or `*`) is read below the first part. */
export function mayDereference(path: Path): boolean {
  for (let i = 1; i < path.length; i++) if (path[i]!.kind !== "index") return true;
  return false;
}

/** True when walking `path` from `v` (as getPath does: fields of arrays map over their elements) meets a record link before the path ends. */
export function crossesLink(v: Value, path: Path, from = 0): boolean {
  if (from >= path.length) return false;
  const part = path[from]!;
  if (v instanceof RecordId) return part.kind !== "index";
  if (Array.isArray(v)) {
    if (part.kind === "index") return crossesLink(v[part.index], path, from + 1);
    const next = part.kind === "all" ? from + 1 : from;
    return v.some((el) => crossesLink(el, path, next));
  }
  if (!isObject(v)) return false;
  if (part.kind === "field") return Object.hasOwn(v, part.name) && crossesLink(v[part.name], path, from + 1);
  if (part.kind === "all") return Object.values(v).some((el) => crossesLink(el, path, from + 1));
  return false;
}

export function getPath(v: Value, path: Path, from = 0, resolve?: Resolve): Value {
  let cur = v;
  for (let i = from; i < path.length; i++) {
    const part = path[i]!;
    if (cur instanceof RecordId && resolve && part.kind !== "index") {
      cur = resolve(cur);
      // `link.*` is the linked record itself, or NONE when it does not exist.
      if (part.kind === "all") continue;
    }
    if (Array.isArray(cur)) {
      if (part.kind === "index") {
        cur = cur[part.index];
        continue;
      }
      const next = part.kind === "all" ? i + 1 : i;
      const arr = cur;
      return arr.map((el) => getPath(el, path, next, resolve));
    }
    if (part.kind === "field") {
      cur = isObject(cur) && Object.hasOwn(cur, part.name) ? cur[part.name] : undefined;
    } else if (part.kind === "all") {
      // `x.*` (SurrealDB 3): an object is itself, an array maps the rest over its
      // elements (above), anything else (NONE too) becomes the array `[x]`.
      if (isObject(cur)) continue;
      return getPath([cur], path, i + 1, resolve);
    } else {
      return undefined;
    }
  }
  return cur;
}

/**
 * The links a select-list path `prefix.*` fetches from `v` (issue 23): the
 * record links at the end of `prefix`, read through links as WHERE paths are,
 * and inside arrays at any depth (SurrealDB maps `.*` over an array's elements).
 * Links inside an object are not fetched (`o.*` keeps `{l: user:1}` as it is).
 * Whether each target exists is the caller's to ask: a missing one is NONE.
 */
export function fetchedLinks(v: Value, prefix: Path, resolve: Resolve, out: RecordId[]): void {
  linksIn(getPath(v, prefix, 0, resolve), out);
}

function linksIn(v: Value, out: RecordId[]): void {
  if (v instanceof RecordId) out.push(v);
  else if (Array.isArray(v)) for (const el of v) linksIn(el, out);
}

/** A getter for `path`, specialised for the common one- and two-field paths (same results as getPath). */
export function pathGetter(path: Path): (v: Value) => Value {
  const [a, b] = path;
  if (path.some((p) => p.kind === "field" && p.name === "__proto__")) return (v) => getPath(v, path);
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

/**
 * An own field of an object; of an array, the field of each element; else
 * NONE. Values are never functions, so a function read is inherited
 * (`constructor`, `toString`): NONE, without asking `hasOwn` on every read.
 * `__proto__`, the one inherited non-function, never reaches here (pathGetter).
 */
function field(v: Value, name: string): Value {
  if (Array.isArray(v)) return v.map((el) => field(el, name));
  if (!isObject(v)) return undefined;
  const x = v[name];
  return typeof x === "function" ? undefined : x;
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

/**
 * SurrealDB's SurrealQL parser (`@surrealdb/ql-wasm`), run so that a
 * WebAssembly trap costs only the request that caused it.
 *
 * The package instantiates its WebAssembly module once, when it is imported, and
 * keeps the instance in module state. A trap (e.g. "memory access out of bounds"
 * when a query overflows the parser's stack) leaves that instance corrupt: every
 * later parse fails. So after anything but a parse error (ql-wasm reports those
 * as strings), the host drops the instance and imports the package again under a
 * fresh URL, which instantiates a new module, then checks it on a trivial query.
 * Until that finishes (milliseconds), parse answers UNAVAILABLE; callers that can
 * wait use `whenReady()`. After MAX_LOAD_ATTEMPTS fresh instances fail the check,
 * the parser is unrecoverable: health says so, and only a restart helps.
 *
 * Each replaced instance stays in Node's module cache (about 4 MB): the limits in
 * query-limits.ts keep every known trapping input from reaching the parser, so a
 * restart is the exception, counted and logged by whoever listens.
 *
 * The circuit has no logger: listeners (`onEvent`) receive every trap and restart.
 */
import { SurrealQL as initialInstance } from "@surrealdb/ql-wasm";
import { CircuitError } from "../errors.js";

/** What the host needs of one ql-wasm instance. */
export interface QlInstance {
  parse(sql: string): unknown;
}

/** Loads a new ql-wasm instance, independent of every earlier one. */
export type InstanceLoader = () => Promise<QlInstance>;

export type ParserState = "ready" | "restarting" | "unrecoverable";

export interface ParserHealth {
  readonly state: ParserState;
  /** Fresh instances put in place after a trap, since start. */
  readonly restarts: number;
  /** Why the parser is restarting or unrecoverable. */
  readonly detail?: string;
}

export type ParserEvent =
  | { readonly kind: "trap"; readonly message: string; readonly query: string }
  | { readonly kind: "restarted"; readonly restarts: number; readonly attempts: number }
  | { readonly kind: "unrecoverable"; readonly message: string };

const PROBE_QUERY = "SELECT * FROM t";
const MAX_LOAD_ATTEMPTS = 3;
/** How much of a trapping query an event carries (for the log). */
const QUERY_EXCERPT = 200;

/** Imports of the package so far, process-wide: each fresh URL is a new module, hence a new instance. */
let imports = 0;

/** A new instance: the package imported again under a URL it was never imported by. */
export const freshInstance: InstanceLoader = async () => {
  const url = `${import.meta.resolve("@surrealdb/ql-wasm")}?instance=${++imports}`;
  const module = (await import(url)) as { SurrealQL: QlInstance };
  return module.SurrealQL;
};

export class SurrealQLParser {
  private instance: QlInstance | undefined;
  private readonly load: InstanceLoader;
  private restarts = 0;
  private detail: string | undefined;
  private unrecoverable = false;
  private loading: Promise<void> | undefined;
  private readonly listeners = new Set<(event: ParserEvent) => void>();

  constructor(options: { instance?: QlInstance; load?: InstanceLoader } = {}) {
    this.instance = options.instance ?? initialInstance;
    this.load = options.load ?? freshInstance;
  }

  /** A parser whose first instance also comes from `load` (so it shares no instance with others). */
  static async create(load: InstanceLoader = freshInstance): Promise<SurrealQLParser> {
    return new SurrealQLParser({ instance: await load(), load });
  }

  /**
   * SurrealDB's AST for `sql`. Throws CircuitError: INVALID_ARGUMENT for a parse
   * error, and for a query that trapped the parser (it would trap again: the
   * query, not the server's state, is the cause); UNAVAILABLE while a fresh
   * instance loads or when none can be loaded.
   */
  parse(sql: string): unknown {
    const instance = this.instance;
    if (instance === undefined) {
      throw new CircuitError(
        "UNAVAILABLE",
        this.unrecoverable ? `the SurrealQL parser is unavailable: ${this.detail}` : "the SurrealQL parser is restarting after a failure; retry",
      );
    }
    try {
      return instance.parse(sql);
    } catch (e) {
      if (typeof e === "string") throw new CircuitError("INVALID_ARGUMENT", `SurrealQL parse error: ${e}`);
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.replace(instance, message, sql);
      throw new CircuitError(
        "INVALID_ARGUMENT",
        `the SurrealQL parser failed on this query (${message}); it is too large or too deeply nested to parse. The parser was restarted`,
      );
    }
  }

  /** Resolves once an instance is in place (at once, usually); never rejects. */
  whenReady(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  health(): ParserHealth {
    const state: ParserState = this.unrecoverable ? "unrecoverable" : this.instance === undefined ? "restarting" : "ready";
    return this.detail === undefined || state === "ready" ? { state, restarts: this.restarts } : { state, restarts: this.restarts, detail: this.detail };
  }

  /** Calls `listener` on every trap, restart and unrecoverable failure; returns the unsubscribe. */
  onEvent(listener: (event: ParserEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private emit(event: ParserEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not turn a parse into an internal error.
      }
    }
  }

  private replace(failed: QlInstance, message: string, sql: string): void {
    if (this.instance !== failed) return;
    this.instance = undefined;
    this.detail = `trapped: ${message}`;
    this.emit({ kind: "trap", message, query: sql.length > QUERY_EXCERPT ? `${sql.slice(0, QUERY_EXCERPT)}…` : sql });
    this.loading = this.reload().finally(() => {
      this.loading = undefined;
    });
  }

  private async reload(): Promise<void> {
    let lastError = "";
    for (let attempt = 1; attempt <= MAX_LOAD_ATTEMPTS; attempt++) {
      try {
        const candidate = await this.load();
        const probe = candidate.parse(PROBE_QUERY);
        if (!Array.isArray(probe) || probe.length !== 1) throw new Error(`a fresh instance parsed ${PROBE_QUERY} into ${JSON.stringify(probe)}`);
        this.instance = candidate;
        this.restarts++;
        this.detail = undefined;
        this.emit({ kind: "restarted", restarts: this.restarts, attempts: attempt });
        return;
      } catch (e) {
        lastError = typeof e === "string" ? e : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
    }
    this.unrecoverable = true;
    this.detail = `${MAX_LOAD_ATTEMPTS} fresh instances failed on ${JSON.stringify(PROBE_QUERY)} (${lastError})`;
    this.emit({ kind: "unrecoverable", message: this.detail });
  }
}

/** The process's parser, shared by every circuit that is not given its own. */
export const sharedParser = new SurrealQLParser();

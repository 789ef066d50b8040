/**
 * The one shared SurrealDB connection: embedded (`surrealkv://path`, `mem://`,
 * through @surrealdb/node) or remote (`ws://`, `wss://`, with user, password,
 * namespace and database).
 *
 * A lost connection is re-established in the background with exponential backoff;
 * meanwhile queries fail at once (the edge writer, say, keeps its ops in its outbox)
 * and `isReachable()` is false. After every (re)connect, `onConnected` runs (the
 * migrations) before any query is let through.
 */
import { createNodeEngines } from "@surrealdb/node";
import { QueryError, Surreal, createRemoteEngines, type QueryResponse } from "surrealdb";
import { silentLogger, type BackoffPolicy, type SurrealDatabase, type SurrealLogger } from "./types.js";

export interface ConnectionOptions {
  readonly url: string;
  readonly namespace: string;
  readonly database: string;
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
  readonly logger?: SurrealLogger | undefined;
  /** Runs on the raw connection after each connect, before queries are accepted. */
  readonly onConnected?: ((db: SurrealDatabase) => Promise<void>) | undefined;
  /** Backoff between reconnect attempts (default 200 ms doubling to 10 s, with jitter). */
  readonly reconnect?: BackoffPolicy | undefined;
  /** `isReachable()` answers false after this long (default 2 s). */
  readonly probeTimeoutMs?: number | undefined;
  /** A connect attempt that has not finished after this long is abandoned and retried (default 5 s). */
  readonly connectTimeoutMs?: number | undefined;
}

const SCHEMES = new Set(["mem:", "memory:", "surrealkv:", "surrealkv+versioned:", "rocksdb:", "ws:", "wss:", "http:", "https:"]);

export class ConnectionUnavailableError extends Error {
  override name = "ConnectionUnavailableError";
}

export class SurrealConnection implements SurrealDatabase {
  /** The SDK instance, for callers that need more than queries (e.g. LIVE queries). */
  readonly surreal: Surreal;
  readonly #options: ConnectionOptions;
  readonly #logger: SurrealLogger;
  #ready = false;
  #closed = false;
  #lastConnectError: string | undefined;
  #reconnecting: Promise<void> | undefined;
  #wakeReconnect: (() => void) | undefined;
  /** Bumped when a connect attempt is abandoned, so its late continuation stops. */
  #attempt = 0;

  private constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.surreal = new Surreal({ engines: { ...createRemoteEngines(), ...createNodeEngines() } });
    this.surreal.subscribe("disconnected", () => this.#lost("disconnected"));
  }

  /**
   * Connects. If SurrealDB cannot be reached now, resolves anyway and keeps trying
   * in the background; only a malformed URL is an error.
   */
  static async open(options: ConnectionOptions): Promise<SurrealConnection> {
    const scheme = parseScheme(options.url);
    if (!SCHEMES.has(scheme)) {
      throw new Error(`SURREALDB_URL ${JSON.stringify(options.url)}: unsupported scheme ${JSON.stringify(scheme)}; use surrealkv://, mem://, ws:// or wss://`);
    }
    const connection = new SurrealConnection(options);
    try {
      await connection.#connectOnce();
    } catch (error) {
      connection.#logger.warn({ err: error, url: redact(options.url) }, "SurrealDB unreachable at start; retrying in the background");
      connection.#startReconnecting();
    }
    return connection;
  }

  get isConnected(): boolean {
    return this.#ready;
  }

  unavailableReason(): string | undefined {
    return this.#ready ? undefined : this.#lastConnectError;
  }

  async query(text: string, bindings: Record<string, unknown>): Promise<unknown[]> {
    if (!this.#ready) {
      this.#startReconnecting();
      throw new ConnectionUnavailableError("SurrealDB is not connected");
    }
    try {
      return resultsOrCause(await this.surreal.query(text, bindings).responses());
    } catch (error) {
      if (this.surreal.status !== "connected") this.#lost("query failed on a lost connection");
      throw error;
    }
  }

  async isReachable(): Promise<boolean> {
    if (!this.#ready) return false;
    const probe = this.surreal.query("RETURN true").collect().then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.#options.probeTimeoutMs ?? 2_000)));
    const reachable = await Promise.race([probe, timeout]);
    clearTimeout(timer);
    if (!reachable && this.surreal.status !== "connected") this.#lost("probe failed");
    return reachable;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#ready = false;
    this.#wakeReconnect?.();
    await this.#reconnecting;
    await this.surreal.close();
  }

  /**
   * One connect attempt, abandoned after `connectTimeoutMs`. The embedded engine
   * needs this: reopening a surrealkv path right after a close can wait forever for
   * the previous handle's release, and a later attempt succeeds.
   */
  async #connectOnce(): Promise<void> {
    const attempt = ++this.#attempt;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // The embedded engine can hang without an error (e.g. a surrealkv path it cannot open).
      const ms = this.#options.connectTimeoutMs ?? 5_000;
      timer = setTimeout(() => reject(new Error(`connecting to ${redact(this.#options.url)} did not finish within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.#connectAndMigrate(attempt), timeout]);
    } catch (error) {
      this.#attempt++;
      this.#lastConnectError = error instanceof Error ? error.message : String(error);
      await this.surreal.close().catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #connectAndMigrate(attempt: number): Promise<void> {
    const { url, namespace, database, user, pass } = this.#options;
    const current = (): void => {
      if (attempt !== this.#attempt) throw new Error("connect attempt abandoned");
    };
    await this.surreal.connect(url, {
      namespace,
      database,
      // One reconnect mechanism for every engine: ours, below.
      reconnect: false,
      ...(user !== undefined ? { authentication: { username: user, password: pass ?? "" } } : {}),
    });
    current();
    await this.surreal.use({ namespace, database });
    current();
    const raw: SurrealDatabase = {
      query: (text, bindings) => this.surreal.query(text, bindings).collect(),
      isReachable: async () => true,
      close: async () => {},
    };
    await this.#options.onConnected?.(raw);
    current();
    this.#ready = true;
    this.#lastConnectError = undefined;
    this.#logger.info({ url: redact(url), namespace, database }, "connected to SurrealDB");
  }

  #lost(reason: string): void {
    if (!this.#ready || this.#closed || this.#reconnecting !== undefined) return;
    this.#ready = false;
    this.#logger.warn({ reason }, "SurrealDB connection lost; reconnecting");
    this.#startReconnecting();
  }

  #startReconnecting(): void {
    if (this.#reconnecting !== undefined || this.#closed) return;
    this.#reconnecting = this.#reconnectLoop().finally(() => {
      this.#reconnecting = undefined;
    });
  }

  async #reconnectLoop(): Promise<void> {
    const { initialMs, maxMs } = this.#options.reconnect ?? { initialMs: 200, maxMs: 10_000 };
    for (let attempt = 0; !this.#closed; attempt++) {
      // Release what is left of the old connection first, then wait: the embedded
      // engine frees a surrealkv path some time after close() returns.
      await this.surreal.close().catch(() => undefined);
      const delay = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30)) * (0.75 + Math.random() * 0.5);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wakeReconnect = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeReconnect = undefined;
      if (this.#closed) return;
      try {
        await this.#connectOnce();
        return;
      } catch (error) {
        this.#logger.warn({ err: error, attempt: attempt + 1 }, "SurrealDB reconnect failed");
      }
    }
  }
}

/**
 * Every statement's result, or the error that failed the query. In a failed
 * transaction every other statement answers "not executed"; `collect()` would
 * throw the first of those, which hides whether the cause is permanent (a type
 * error, a transaction too large) or transient (a conflict, a timeout).
 */
function resultsOrCause(responses: readonly QueryResponse[]): unknown[] {
  const errors = responses.flatMap((r) => (r.success ? [] : [r.error]));
  if (errors.length === 0) return responses.map((r) => (r.success ? r.result : undefined));
  throw errors.find((e) => !(e instanceof QueryError && e.isNotExecuted)) ?? errors[0];
}

function parseScheme(url: string): string {
  const match = /^([a-z][a-z0-9+.-]*:)/i.exec(url);
  return match?.[1]?.toLowerCase() ?? "";
}

/** The URL without credentials, for logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

/**
 * SSP's configuration: every environment variable, read and validated once at
 * start. A bad value throws a ConfigError naming the variable; main prints its
 * message as one line and exits non-zero. Names follow the original sidecar's
 * where it had one, so its users can switch without relearning.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from "./circuit/index.js";

export type LogFormat = "json" | "pretty";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  /** Where the service listens, `host:port` (LISTEN_ADDR). */
  readonly listen: { readonly host: string; readonly port: number };
  /** The bearer secret (SPOOKY_AUTH_SECRET); undefined only in insecure dev mode. */
  readonly authSecret: string | undefined;
  /** SPOOKY_INSECURE_DEV=1: serve without auth, announced on every start. */
  readonly insecureDev: boolean;
  /** SSP_REFLECTION_PUBLIC=1: gRPC server reflection answers without the bearer secret. */
  readonly reflectionPublic: boolean;
  /** SSP_CORS_ORIGINS: origins (`scheme://host[:port]`) whose pages may call SSP; empty: no CORS. */
  readonly corsOrigins: readonly string[];
  /** SPOOKY_DATA_DIR, absolute. */
  readonly dataDir: string;
  readonly save: {
    /** SAVE_DEBOUNCE_MS: quiet period before a snapshot. */
    readonly debounceMs: number;
    /** SAVE_MAX_DELAY_MS: a snapshot at least this often under continuous load. */
    readonly maxDelayMs: number;
  };
  readonly surreal: {
    /** mem://, surrealkv://path, ws://host:port or wss://host:port. */
    readonly url: string;
    /** Whether `url` runs inside this process (mem://, surrealkv://). */
    readonly embedded: boolean;
    readonly user: string | undefined;
    readonly pass: string | undefined;
    readonly namespace: string;
    readonly database: string;
  };
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  /** SSP_SHUTDOWN_TIMEOUT_MS: how long shutdown waits for in-flight calls. */
  readonly shutdownTimeoutMs: number;
  /** SSP_JOURNAL: journal every acknowledged mutation (default on; off only to measure its cost). */
  readonly journal: boolean;
  /** SSP_START_EMPTY_ON_CORRUPT: set a corrupt snapshot/journal aside and start empty instead of refusing to start. */
  readonly startEmptyOnCorrupt: boolean;
  /** SSP_OUTBOX_READY_LIMIT: readiness fails while more edge writes than this wait in the outbox. */
  readonly outboxReadyLimit: number;
  /** SSP_VIEW_MAX_QUERY_BYTES, SSP_VIEW_MAX_QUERY_OPERATORS, SSP_VIEW_MAX_SUBQUERY_DEPTH: bounds on a registered view's query. */
  readonly viewLimits: QueryLimits;
  /** SSP_OUTBOX_STUCK_MS: readiness fails while the oldest waiting edge write is older than this. */
  readonly outboxStuckMs: number;
  /** Size limits on what one request may carry (JSON-encoded bytes). */
  readonly inputLimits: {
    /** SSP_MAX_PARAMS_BYTES: a view's params; at most MAX_PARAMS_BYTES_CEILING, as they go to SurrealDB. */
    readonly maxParamsBytes: number;
    /** SSP_MAX_RECORD_BYTES: one record body. */
    readonly maxRecordBytes: number;
    /** SSP_MAX_BATCH_BYTES: every body of one ingest or batch together. */
    readonly maxBatchBytes: number;
  };
  /** SSP_MAX_BATCH_CHANGES: changes one IngestBatch may carry; more is INVALID_ARGUMENT. */
  readonly maxBatchChanges: number;
  readonly watch: {
    /** SSP_WATCH_QUEUE_LIMIT: messages queued per stream before it is ended. */
    readonly queueLimit: number;
    /** SSP_WATCH_HEARTBEAT_MS: heartbeat interval on idle streams. */
    readonly heartbeatMs: number;
    /** SSP_REPLAY_LOG_SIZE: deltas kept per view for resuming streams. */
    readonly replayLogSize: number;
  };
  readonly limits: TransportLimits;
  readonly quotas: Quotas;
  /** Subscriber tokens (README, "Subscriber tokens"); undefined when neither key variable is set. */
  readonly subscriberTokens: SubscriberTokenConfig | undefined;
}

export interface SubscriberTokenConfig {
  /** SSP_SUBSCRIBER_JWT_SECRET: HS256 shared secret. */
  readonly hs256Secret: string | undefined;
  /** SSP_SUBSCRIBER_JWKS_FILE, parsed: public keys for EdDSA, ES256 and RS256. */
  readonly jwks: { readonly keys: Record<string, unknown>[] } | undefined;
  /** SSP_SUBSCRIBER_CLIENT_CLAIM: the claim holding the client id (default `sub`). */
  readonly clientClaim: string;
  /** SSP_SUBSCRIBER_AUDIENCE: required `aud`, when set. */
  readonly audience: string | undefined;
  /** SSP_SUBSCRIBER_ISSUER: required `iss`, when set. */
  readonly issuer: string | undefined;
  /** SSP_SUBSCRIBER_CLOCK_SKEW_S: tolerance on `exp` and `nbf`, seconds. */
  readonly clockSkewS: number;
}

/** What the transport bounds before any work is done for a request (README, "Limits"). */
export interface TransportLimits {
  /** SSP_MAX_MESSAGE_BYTES: largest request message, on the wire and again after decompression. */
  readonly maxMessageBytes: number;
  /** SSP_HEADERS_TIMEOUT_MS: a connection must send its first bytes, and each request its headers, within this. */
  readonly headersTimeoutMs: number;
  /** SSP_REQUEST_TIMEOUT_MS: a request (headers and body) must arrive within this. */
  readonly requestTimeoutMs: number;
  /** SSP_IDLE_TIMEOUT_MS: a connection with no open request or stream is closed after this. */
  readonly idleTimeoutMs: number;
  /** SSP_MAX_CONNECTIONS: open connections; more are closed as soon as they are accepted. */
  readonly maxConnections: number;
  /** SSP_MAX_STREAMS_PER_CONNECTION: concurrent HTTP/2 streams per connection (SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
  /** SSP_MAX_HEALTH_WATCHERS: concurrent grpc.health.v1.Health/Watch streams. */
  readonly maxHealthWatchers: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  maxMessageBytes: 16 * 1024 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  maxConnections: 1000,
  maxStreamsPerConnection: 1000,
  maxHealthWatchers: 100,
};

/**
 * What one client, and the service as a whole, may hold at once (README,
 * "Limits"); going over answers RESOURCE_EXHAUSTED and changes nothing.
 */
export interface Quotas {
  /** SSP_MAX_VIEWS_PER_CLIENT: views registered under one client id. */
  readonly maxViewsPerClient: number;
  /** SSP_MAX_STREAMS_PER_CLIENT: open WatchDeltas streams counted against one client id. */
  readonly maxStreamsPerClient: number;
  /** SSP_MAX_STREAMS: open WatchDeltas streams in all. */
  readonly maxStreams: number;
}

/**
 * Generous but finite. A view costs a few KB of circuit state and an
 * `_spooky_incantation` record, so 10,000 per client is far past any one
 * user's screens yet stops a client that leaks a view per request long before
 * it hurts the others. A browser opens a handful of streams (one per tab); 100
 * allows tabs and reconnect overlap. 10,000 streams in all is ten times the
 * default connection cap with streams multiplexed on HTTP/2, and each stream
 * holds a queue of up to SSP_WATCH_QUEUE_LIMIT messages.
 */
export const DEFAULT_QUOTAS: Quotas = {
  maxViewsPerClient: 10_000,
  maxStreamsPerClient: 100,
  maxStreams: 10_000,
};

/** A configuration error: `message` is the one line to print. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Params are written to SurrealDB with the view's metadata, and embedded SurrealDB
 * refuses a transaction of about 100 MB; a few views' params may share one.
 */
export const MAX_PARAMS_BYTES_CEILING = 16 * 1024 * 1024;

const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const SURREAL_SCHEMES = ["mem:", "surrealkv:", "ws:", "wss:"];

/** Reads the configuration from `env`; throws ConfigError on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const insecureDev = readFlag(env, "SPOOKY_INSECURE_DEV");
  const authSecret = readString(env, "SPOOKY_AUTH_SECRET");
  if (authSecret === undefined && !insecureDev) {
    throw new ConfigError(
      "SPOOKY_AUTH_SECRET",
      "is not set: set it to the bearer secret clients must send, or set SPOOKY_INSECURE_DEV=1 to run without auth (development only)",
    );
  }
  const dataDir = path.resolve(readString(env, "SPOOKY_DATA_DIR") ?? "data");
  return {
    listen: readHostPort(env, "LISTEN_ADDR", "127.0.0.1:8667"),
    authSecret,
    insecureDev,
    reflectionPublic: readFlag(env, "SSP_REFLECTION_PUBLIC"),
    corsOrigins: readOrigins(env, "SSP_CORS_ORIGINS"),
    dataDir,
    save: {
      debounceMs: readInt(env, "SAVE_DEBOUNCE_MS", 2000, 0),
      maxDelayMs: readInt(env, "SAVE_MAX_DELAY_MS", 30000, 0),
    },
    surreal: readSurreal(env, dataDir),
    log: {
      level: readEnum(env, "LOG_LEVEL", LOG_LEVELS, "info"),
      format: readEnum(env, "LOG_FORMAT", ["json", "pretty"] as const, "json"),
    },
    shutdownTimeoutMs: readInt(env, "SSP_SHUTDOWN_TIMEOUT_MS", 10000, 0),
    journal: readString(env, "SSP_JOURNAL") === undefined ? true : readFlag(env, "SSP_JOURNAL"),
    startEmptyOnCorrupt: readFlag(env, "SSP_START_EMPTY_ON_CORRUPT"),
    outboxReadyLimit: readInt(env, "SSP_OUTBOX_READY_LIMIT", 10000, 0),
    viewLimits: {
      maxQueryBytes: readInt(env, "SSP_VIEW_MAX_QUERY_BYTES", DEFAULT_QUERY_LIMITS.maxQueryBytes, 1),
      maxQueryOperators: readInt(env, "SSP_VIEW_MAX_QUERY_OPERATORS", DEFAULT_QUERY_LIMITS.maxQueryOperators, 1),
      maxSubqueryDepth: readInt(env, "SSP_VIEW_MAX_SUBQUERY_DEPTH", DEFAULT_QUERY_LIMITS.maxSubqueryDepth, 0),
    },
    outboxStuckMs: readInt(env, "SSP_OUTBOX_STUCK_MS", 60000, 1),
    inputLimits: {
      maxParamsBytes: readInt(env, "SSP_MAX_PARAMS_BYTES", 1048576, 2, MAX_PARAMS_BYTES_CEILING),
      maxRecordBytes: readInt(env, "SSP_MAX_RECORD_BYTES", 1048576, 2),
      maxBatchBytes: readInt(env, "SSP_MAX_BATCH_BYTES", 16777216, 2),
    },
    maxBatchChanges: readInt(env, "SSP_MAX_BATCH_CHANGES", 1000, 1),
    watch: {
      queueLimit: readInt(env, "SSP_WATCH_QUEUE_LIMIT", 1000, 1),
      heartbeatMs: readInt(env, "SSP_WATCH_HEARTBEAT_MS", 15000, 1),
      replayLogSize: readInt(env, "SSP_REPLAY_LOG_SIZE", 1000, 0),
    },
    limits: readLimits(env),
    quotas: {
      maxViewsPerClient: readInt(env, "SSP_MAX_VIEWS_PER_CLIENT", DEFAULT_QUOTAS.maxViewsPerClient, 1),
      maxStreamsPerClient: readInt(env, "SSP_MAX_STREAMS_PER_CLIENT", DEFAULT_QUOTAS.maxStreamsPerClient, 1),
      maxStreams: readInt(env, "SSP_MAX_STREAMS", DEFAULT_QUOTAS.maxStreams, 1),
    },
    subscriberTokens: readSubscriberTokens(env, authSecret),
  };
}

/** HS256 keys shorter than the hash (RFC 7518 §3.2) are refused. */
const MIN_HS256_SECRET_BYTES = 32;
/** Members only a private or symmetric JWK has. */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

function readSubscriberTokens(env: Env, authSecret: string | undefined): SubscriberTokenConfig | undefined {
  const hs256Secret = readString(env, "SSP_SUBSCRIBER_JWT_SECRET");
  const jwksFile = readString(env, "SSP_SUBSCRIBER_JWKS_FILE");
  if (hs256Secret === undefined && jwksFile === undefined) return undefined;
  const name = hs256Secret === undefined ? "SSP_SUBSCRIBER_JWKS_FILE" : "SSP_SUBSCRIBER_JWT_SECRET";
  if (authSecret === undefined) {
    // Without the service secret every caller has every right: scoping subscribers would mean nothing.
    throw new ConfigError(name, "needs SPOOKY_AUTH_SECRET: subscriber tokens cannot be used in insecure dev mode");
  }
  if (hs256Secret !== undefined && Buffer.byteLength(hs256Secret, "utf8") < MIN_HS256_SECRET_BYTES) {
    throw new ConfigError("SSP_SUBSCRIBER_JWT_SECRET", `must be at least ${MIN_HS256_SECRET_BYTES} bytes long`);
  }
  if (hs256Secret !== undefined && hs256Secret === authSecret) {
    throw new ConfigError("SSP_SUBSCRIBER_JWT_SECRET", "must differ from SPOOKY_AUTH_SECRET");
  }
  return {
    hs256Secret,
    jwks: jwksFile === undefined ? undefined : readJwksFile(jwksFile),
    clientClaim: readString(env, "SSP_SUBSCRIBER_CLIENT_CLAIM")?.trim() ?? "sub",
    audience: readString(env, "SSP_SUBSCRIBER_AUDIENCE"),
    issuer: readString(env, "SSP_SUBSCRIBER_ISSUER"),
    clockSkewS: readInt(env, "SSP_SUBSCRIBER_CLOCK_SKEW_S", 30, 0, 3600),
  };
}

/** A JWKS of public keys only: a private key in a config file is a leak waiting to happen. */
function readJwksFile(file: string): { keys: Record<string, unknown>[] } {
  const name = "SSP_SUBSCRIBER_JWKS_FILE";
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new ConfigError(name, `must name a readable JSON file (${err instanceof Error ? err.message : String(err)})`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ConfigError(name, `must hold a JWKS: {"keys": [ ... ]} with at least one key`);
  keys.forEach((key: unknown, i) => {
    if (typeof key !== "object" || key === null || !["OKP", "EC", "RSA"].includes(String((key as { kty?: unknown }).kty))) {
      throw new ConfigError(name, `key ${i} must be a public OKP, EC or RSA JWK`);
    }
    const secret = PRIVATE_JWK_MEMBERS.find((member) => member in key);
    if (secret !== undefined) throw new ConfigError(name, `key ${i} holds private member "${secret}": give public keys only`);
  });
  return { keys: keys as Record<string, unknown>[] };
}

function readLimits(env: Env): TransportLimits {
  const d = DEFAULT_LIMITS;
  const limits: TransportLimits = {
    // Connect refuses a readMaxBytes above 2^32-1 (zlib's largest output).
    maxMessageBytes: readInt(env, "SSP_MAX_MESSAGE_BYTES", d.maxMessageBytes, 1, 0xffffffff),
    headersTimeoutMs: readInt(env, "SSP_HEADERS_TIMEOUT_MS", d.headersTimeoutMs, 1),
    requestTimeoutMs: readInt(env, "SSP_REQUEST_TIMEOUT_MS", d.requestTimeoutMs, 1),
    idleTimeoutMs: readInt(env, "SSP_IDLE_TIMEOUT_MS", d.idleTimeoutMs, 1),
    maxConnections: readInt(env, "SSP_MAX_CONNECTIONS", d.maxConnections, 1),
    // An HTTP/2 SETTINGS value is 32 bits wide.
    maxStreamsPerConnection: readInt(env, "SSP_MAX_STREAMS_PER_CONNECTION", d.maxStreamsPerConnection, 1, 0xffffffff),
    maxHealthWatchers: readInt(env, "SSP_MAX_HEALTH_WATCHERS", d.maxHealthWatchers, 1),
  };
  // Node's HTTP/1.1 server refuses a header timeout longer than the request timeout.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(
      "SSP_HEADERS_TIMEOUT_MS",
      `must not exceed SSP_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs}), got ${limits.headersTimeoutMs}`,
    );
  }
  return limits;
}

function readSurreal(env: Env, dataDir: string): Config["surreal"] {
  const addr = readString(env, "SURREALDB_ADDR");
  let name = "SURREALDB_URL";
  let url = readString(env, name);
  if (url === undefined && addr !== undefined) {
    // The original sidecar's host:port form; SURREALDB_URL wins when both are set.
    name = "SURREALDB_ADDR";
    const { host, port } = readHostPort(env, name, addr);
    url = `ws://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }
  url ??= `surrealkv://${path.join(dataDir, "surreal")}`;
  const scheme = SURREAL_SCHEMES.find((s) => url.startsWith(`${s}//`));
  if (scheme === undefined) {
    throw new ConfigError(name, `must be mem://, surrealkv://<path>, ws://<host:port> or wss://<host:port>, got ${JSON.stringify(url)}`);
  }
  if (scheme === "ws:" || scheme === "wss:") {
    try {
      const parsed = new URL(url);
      if (parsed.hostname === "") throw new Error("no host");
    } catch {
      throw new ConfigError(name, `is not a valid ${scheme}// URL: ${JSON.stringify(url)}`);
    }
  }
  if (scheme === "surrealkv:" && url.length === "surrealkv://".length) {
    throw new ConfigError(name, `needs a path after surrealkv:// (e.g. surrealkv://data/surreal), got ${JSON.stringify(url)}`);
  }
  return {
    url,
    embedded: scheme === "mem:" || scheme === "surrealkv:",
    user: readString(env, "SURREALDB_USER"),
    pass: readString(env, "SURREALDB_PASS"),
    namespace: readString(env, "SURREALDB_NS") ?? "spooky",
    database: readString(env, "SURREALDB_DB") ?? "ssp",
  };
}

/** An empty value counts as unset, as shells make `VAR=` easy to write by accident. */
function readString(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * A comma-separated list of origins, each exactly as a browser sends it in
 * `Origin` (lower-case scheme and host, no default port, no path), since they
 * are compared as text: anything else would never match, silently.
 */
function readOrigins(env: Env, name: string): string[] {
  const entries = (readString(env, name) ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const entry of entries) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (url.protocol === "http:" || url.protocol === "https:") origin = url.origin;
    } catch {
      origin = undefined;
    }
    if (origin !== entry) {
      const hint = origin === undefined ? "" : ` (did you mean ${JSON.stringify(origin)}?)`;
      throw new ConfigError(name, `must list origins like https://app.example.com or http://localhost:5173 (scheme, host and port only), got ${JSON.stringify(entry)}${hint}`);
    }
  }
  return [...new Set(entries)];
}

function readFlag(env: Env, name: string): boolean {
  const value = readString(env, name)?.trim().toLowerCase();
  if (value === undefined || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw new ConfigError(name, `must be 1 or 0, got ${JSON.stringify(env[name])}`);
}

function readInt(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = readString(env, name)?.trim();
  if (value === undefined) return fallback;
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(name, `must be a whole number ${range}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function readEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = readString(env, name)?.trim().toLowerCase();
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(env[name])}`);
  }
  return value as T;
}

/** `host:port` or `[v6]:port`; port 0 asks the OS for a free one. */
function readHostPort(env: Env, name: string, fallback: string): { host: string; port: number } {
  const value = readString(env, name)?.trim() ?? fallback;
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):([0-9]{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new ConfigError(name, `must be host:port with a port from 0 to 65535 (e.g. 127.0.0.1:8667), got ${JSON.stringify(value)}`);
  }
  return { host: match[1] ?? match[2] ?? "", port };
}

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_LIMITS, DEFAULT_QUOTAS, loadConfig } from "./config.js";
import { DEFAULT_MAX_BATCH_CHANGES } from "./server/index.js";

const DEV = { SPOOKY_INSECURE_DEV: "1" };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has the documented defaults", () => {
    const config = loadConfig({ SPOOKY_AUTH_SECRET: "s" });
    expect(config).toEqual({
      listen: { host: "127.0.0.1", port: 8667 },
      authSecret: "s",
      insecureDev: false,
      reflectionPublic: false,
      corsOrigins: [],
      dataDir: path.resolve("data"),
      save: { debounceMs: 2000, maxDelayMs: 30000 },
      surreal: {
        url: `surrealkv://${path.resolve("data", "surreal")}`,
        embedded: true,
        user: undefined,
        pass: undefined,
        namespace: "spooky",
        database: "ssp",
      },
      log: { level: "info", format: "json" },
      shutdownTimeoutMs: 10000,
      journal: true,
      startEmptyOnCorrupt: false,
      outboxReadyLimit: 10000,
      viewLimits: { maxQueryBytes: 65536, maxQueryOperators: 512, maxSubqueryDepth: 8 },
      outboxStuckMs: 60000,
      inputLimits: { maxParamsBytes: 1048576, maxRecordBytes: 1048576, maxBatchBytes: 16777216 },
      maxBatchChanges: 1000,
      watch: { queueLimit: 1000, heartbeatMs: 15000, replayLogSize: 1000 },
      subscriberTokens: undefined,
      limits: {
        maxMessageBytes: 16777216,
        headersTimeoutMs: 10000,
        requestTimeoutMs: 60000,
        idleTimeoutMs: 60000,
        maxConnections: 1000,
        maxStreamsPerConnection: 1000,
        maxHealthWatchers: 100,
      },
      quotas: { maxViewsPerClient: 10000, maxStreamsPerClient: 100, maxStreams: 10000 },
    });
    expect(config.limits).toEqual(DEFAULT_LIMITS);
    expect(config.quotas).toEqual(DEFAULT_QUOTAS);
    expect(config.maxBatchChanges).toBe(DEFAULT_MAX_BATCH_CHANGES);
  });

  it("refuses to start without a secret unless in insecure dev mode", () => {
    expect(errorOf({}).variable).toBe("SPOOKY_AUTH_SECRET");
    expect(errorOf({ SPOOKY_AUTH_SECRET: "  " }).variable).toBe("SPOOKY_AUTH_SECRET");
    expect(loadConfig(DEV)).toMatchObject({ insecureDev: true, authSecret: undefined });
    expect(errorOf({ SPOOKY_INSECURE_DEV: "yes" }).message).toBe('invalid configuration: SPOOKY_INSECURE_DEV must be 1 or 0, got "yes"');
  });

  it("reads every variable", () => {
    const config = loadConfig({
      LISTEN_ADDR: "[::1]:0",
      SPOOKY_AUTH_SECRET: "secret with spaces",
      SSP_REFLECTION_PUBLIC: "1",
      SSP_CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
      SAVE_DEBOUNCE_MS: "10",
      SAVE_MAX_DELAY_MS: "20",
      SURREALDB_URL: "wss://db.example:8000/rpc",
      SURREALDB_USER: "root",
      SURREALDB_PASS: "pw",
      SURREALDB_NS: "ns",
      SURREALDB_DB: "db",
      SPOOKY_DATA_DIR: "/tmp/ssp-data",
      LOG_LEVEL: "DEBUG",
      LOG_FORMAT: "pretty",
      SSP_SHUTDOWN_TIMEOUT_MS: "500",
      SSP_WATCH_QUEUE_LIMIT: "5",
      SSP_WATCH_HEARTBEAT_MS: "100",
      SSP_REPLAY_LOG_SIZE: "0",
      SSP_JOURNAL: "0",
      SSP_START_EMPTY_ON_CORRUPT: "1",
      SSP_OUTBOX_READY_LIMIT: "7",
      SSP_VIEW_MAX_QUERY_BYTES: "1000",
      SSP_VIEW_MAX_QUERY_OPERATORS: "64",
      SSP_VIEW_MAX_SUBQUERY_DEPTH: "0",
      SSP_MAX_MESSAGE_BYTES: "1024",
      SSP_HEADERS_TIMEOUT_MS: "300",
      SSP_REQUEST_TIMEOUT_MS: "400",
      SSP_IDLE_TIMEOUT_MS: "500",
      SSP_MAX_CONNECTIONS: "3",
      SSP_MAX_STREAMS_PER_CONNECTION: "2",
      SSP_MAX_HEALTH_WATCHERS: "1",
      SSP_OUTBOX_STUCK_MS: "1500",
      SSP_MAX_PARAMS_BYTES: "100",
      SSP_MAX_RECORD_BYTES: "200",
      SSP_MAX_BATCH_BYTES: "300",
      SSP_MAX_BATCH_CHANGES: "50000",
      SSP_MAX_VIEWS_PER_CLIENT: "3",
      SSP_MAX_STREAMS_PER_CLIENT: "4",
      SSP_MAX_STREAMS: "5",
    });
    expect(config).toEqual({
      listen: { host: "::1", port: 0 },
      authSecret: "secret with spaces",
      insecureDev: false,
      reflectionPublic: true,
      corsOrigins: ["https://app.example.com", "http://localhost:5173"],
      dataDir: "/tmp/ssp-data",
      save: { debounceMs: 10, maxDelayMs: 20 },
      surreal: { url: "wss://db.example:8000/rpc", embedded: false, user: "root", pass: "pw", namespace: "ns", database: "db" },
      log: { level: "debug", format: "pretty" },
      shutdownTimeoutMs: 500,
      journal: false,
      startEmptyOnCorrupt: true,
      outboxReadyLimit: 7,
      viewLimits: { maxQueryBytes: 1000, maxQueryOperators: 64, maxSubqueryDepth: 0 },
      outboxStuckMs: 1500,
      inputLimits: { maxParamsBytes: 100, maxRecordBytes: 200, maxBatchBytes: 300 },
      maxBatchChanges: 50000,
      watch: { queueLimit: 5, heartbeatMs: 100, replayLogSize: 0 },
      limits: {
        maxMessageBytes: 1024,
        headersTimeoutMs: 300,
        requestTimeoutMs: 400,
        idleTimeoutMs: 500,
        maxConnections: 3,
        maxStreamsPerConnection: 2,
        maxHealthWatchers: 1,
      },
      quotas: { maxViewsPerClient: 3, maxStreamsPerClient: 4, maxStreams: 5 },
      subscriberTokens: undefined,
    });
  });

  describe("subscriber tokens", () => {
    const SERVICE = { SPOOKY_AUTH_SECRET: "service secret" };
    const HS = "h".repeat(32);
    const jwksFile = (content: string) => {
      const dir = mkdtempSync(path.join(tmpdir(), "ssp-jwks-"));
      const file = path.join(dir, "jwks.json");
      writeFileSync(file, content);
      return file;
    };
    const PUBLIC_OKP = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };

    it("reads every subscriber variable, with a default skew of 30 s and `sub` as the client claim", () => {
      const file = jwksFile(JSON.stringify({ keys: [PUBLIC_OKP] }));
      expect(loadConfig({ ...SERVICE, SSP_SUBSCRIBER_JWT_SECRET: HS }).subscriberTokens).toEqual({
        hs256Secret: HS,
        jwks: undefined,
        clientClaim: "sub",
        audience: undefined,
        issuer: undefined,
        clockSkewS: 30,
      });
      expect(
        loadConfig({
          ...SERVICE,
          SSP_SUBSCRIBER_JWKS_FILE: file,
          SSP_SUBSCRIBER_CLIENT_CLAIM: "app_client",
          SSP_SUBSCRIBER_AUDIENCE: "ssp",
          SSP_SUBSCRIBER_ISSUER: "https://auth.example",
          SSP_SUBSCRIBER_CLOCK_SKEW_S: "5",
        }).subscriberTokens,
      ).toEqual({
        hs256Secret: undefined,
        jwks: { keys: [PUBLIC_OKP] },
        clientClaim: "app_client",
        audience: "ssp",
        issuer: "https://auth.example",
        clockSkewS: 5,
      });
    });

    it("refuses bad subscriber settings, naming the variable", () => {
      expect(errorOf({ ...DEV, SSP_SUBSCRIBER_JWT_SECRET: HS }).message).toBe(
        "invalid configuration: SSP_SUBSCRIBER_JWT_SECRET needs SPOOKY_AUTH_SECRET: subscriber tokens cannot be used in insecure dev mode",
      );
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWT_SECRET: "short" }).variable).toBe("SSP_SUBSCRIBER_JWT_SECRET");
      expect(errorOf({ SPOOKY_AUTH_SECRET: HS, SSP_SUBSCRIBER_JWT_SECRET: HS }).message).toContain("must differ from SPOOKY_AUTH_SECRET");
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWT_SECRET: HS, SSP_SUBSCRIBER_CLOCK_SKEW_S: "-1" }).variable).toBe(
        "SSP_SUBSCRIBER_CLOCK_SKEW_S",
      );
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWKS_FILE: "/nonexistent/jwks.json" }).variable).toBe("SSP_SUBSCRIBER_JWKS_FILE");
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWKS_FILE: jwksFile("not json") }).variable).toBe("SSP_SUBSCRIBER_JWKS_FILE");
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWKS_FILE: jwksFile('{"keys":[]}') }).message).toContain("at least one key");
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWKS_FILE: jwksFile('{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}') }).message).toContain(
        "public OKP, EC or RSA JWK",
      );
      const privateKey = JSON.stringify({ keys: [{ ...PUBLIC_OKP, d: "private" }] });
      expect(errorOf({ ...SERVICE, SSP_SUBSCRIBER_JWKS_FILE: jwksFile(privateKey) }).message).toContain('private member "d"');
    });
  });

  it("keeps reflection behind the secret unless SSP_REFLECTION_PUBLIC is 1", () => {
    expect(loadConfig({ ...DEV, SSP_REFLECTION_PUBLIC: "0" }).reflectionPublic).toBe(false);
    expect(loadConfig({ ...DEV, SSP_REFLECTION_PUBLIC: "true" }).reflectionPublic).toBe(true);
    const err = errorOf({ ...DEV, SSP_REFLECTION_PUBLIC: "yes" });
    expect([err.variable, err.message]).toEqual(["SSP_REFLECTION_PUBLIC", 'invalid configuration: SSP_REFLECTION_PUBLIC must be 1 or 0, got "yes"']);
  });

  it("reads SSP_CORS_ORIGINS as a list of exact origins; empty means no CORS", () => {
    expect(loadConfig({ ...DEV, SSP_CORS_ORIGINS: "" }).corsOrigins).toEqual([]);
    expect(loadConfig({ ...DEV, SSP_CORS_ORIGINS: " , " }).corsOrigins).toEqual([]);
    expect(loadConfig({ ...DEV, SSP_CORS_ORIGINS: "http://127.0.0.1:8080,http://127.0.0.1:8080, https://[::1]" }).corsOrigins).toEqual([
      "http://127.0.0.1:8080",
      "https://[::1]",
    ]);
    // Each would never equal a browser's Origin header, so it is refused rather than silently ignored.
    for (const [entry, hint] of [
      ["*", ""],
      ["null", ""],
      ["app.example.com", ""],
      ["ftp://files.example.com", ""],
      ["https://app.example.com/", ' (did you mean "https://app.example.com"?)'],
      ["https://App.Example.com", ' (did you mean "https://app.example.com"?)'],
      ["https://app.example.com:443", ' (did you mean "https://app.example.com"?)'],
      ["https://app.example.com/path", ' (did you mean "https://app.example.com"?)'],
    ] as const) {
      const err = errorOf({ ...DEV, SSP_CORS_ORIGINS: `http://ok.example, ${entry}` });
      expect([err.variable, err.message]).toEqual([
        "SSP_CORS_ORIGINS",
        `invalid configuration: SSP_CORS_ORIGINS must list origins like https://app.example.com or http://localhost:5173 (scheme, host and port only), got ${JSON.stringify(entry)}${hint}`,
      ]);
    }
  });

  it("refuses a header timeout longer than the request timeout", () => {
    const err = errorOf({ ...DEV, SSP_HEADERS_TIMEOUT_MS: "5000", SSP_REQUEST_TIMEOUT_MS: "4000" });
    expect(err.message).toBe("invalid configuration: SSP_HEADERS_TIMEOUT_MS must not exceed SSP_REQUEST_TIMEOUT_MS (4000), got 5000");
  });

  it("reads SURREALDB_ADDR as ws://host:port, and SURREALDB_URL wins over it", () => {
    expect(loadConfig({ ...DEV, SURREALDB_ADDR: "db:8000" }).surreal).toMatchObject({ url: "ws://db:8000", embedded: false });
    expect(loadConfig({ ...DEV, SURREALDB_ADDR: "db:8000", SURREALDB_URL: "mem://" }).surreal.url).toBe("mem://");
    expect(errorOf({ ...DEV, SURREALDB_ADDR: "db" }).variable).toBe("SURREALDB_ADDR");
  });

  it("places the embedded database under SPOOKY_DATA_DIR by default", () => {
    expect(loadConfig({ ...DEV, SPOOKY_DATA_DIR: "/var/lib/ssp" }).surreal.url).toBe("surrealkv:///var/lib/ssp/surreal");
  });

  it.each([
    ["LISTEN_ADDR", "8667"],
    ["LISTEN_ADDR", "localhost:65536"],
    ["LISTEN_ADDR", "localhost:port"],
    ["LISTEN_ADDR", ":8667"],
    ["SURREALDB_URL", "http://db:8000"],
    ["SURREALDB_URL", "db:8000"],
    ["SURREALDB_URL", "ws://"],
    ["SURREALDB_URL", "surrealkv://"],
    ["SAVE_DEBOUNCE_MS", "-1"],
    ["SAVE_DEBOUNCE_MS", "2s"],
    ["SAVE_MAX_DELAY_MS", "1e3"],
    ["SSP_SHUTDOWN_TIMEOUT_MS", "soon"],
    ["SSP_WATCH_QUEUE_LIMIT", "0"],
    ["SSP_WATCH_HEARTBEAT_MS", "1.5"],
    ["SSP_REPLAY_LOG_SIZE", "x"],
    ["SSP_JOURNAL", "yes"],
    ["SSP_START_EMPTY_ON_CORRUPT", "2"],
    ["SSP_OUTBOX_READY_LIMIT", "-3"],
    ["SSP_VIEW_MAX_QUERY_BYTES", "0"],
    ["SSP_VIEW_MAX_QUERY_OPERATORS", "64k"],
    ["SSP_VIEW_MAX_SUBQUERY_DEPTH", "-1"],
    ["SSP_MAX_MESSAGE_BYTES", "0"],
    ["SSP_MAX_MESSAGE_BYTES", "4294967296"],
    ["SSP_MAX_MESSAGE_BYTES", "16MiB"],
    ["SSP_HEADERS_TIMEOUT_MS", "0"],
    ["SSP_REQUEST_TIMEOUT_MS", "-1"],
    ["SSP_IDLE_TIMEOUT_MS", "0"],
    ["SSP_MAX_CONNECTIONS", "0"],
    ["SSP_MAX_STREAMS_PER_CONNECTION", "4294967296"],
    ["SSP_MAX_HEALTH_WATCHERS", "0"],
    ["SSP_OUTBOX_STUCK_MS", "0"],
    ["SSP_MAX_PARAMS_BYTES", "1"],
    ["SSP_MAX_PARAMS_BYTES", String(16 * 1024 * 1024 + 1)],
    ["SSP_MAX_RECORD_BYTES", "1MB"],
    ["SSP_MAX_BATCH_BYTES", "0"],
    ["SSP_MAX_BATCH_CHANGES", "0"],
    ["SSP_MAX_BATCH_CHANGES", "1k"],
    ["SSP_MAX_VIEWS_PER_CLIENT", "0"],
    ["SSP_MAX_STREAMS_PER_CLIENT", "-1"],
    ["SSP_MAX_STREAMS", "10k"],
    ["LOG_LEVEL", "verbose"],
    ["LOG_FORMAT", "xml"],
  ])("rejects %s=%s with one line naming the variable", (variable, value) => {
    const err = errorOf({ ...DEV, [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(new RegExp(`^invalid configuration: ${variable} `));
    expect(err.message).toContain(JSON.stringify(value));
    expect(err.message).not.toContain("\n");
  });

  it("caps params at what SurrealDB takes, and says the range", () => {
    expect(loadConfig({ ...DEV, SSP_MAX_PARAMS_BYTES: String(16 * 1024 * 1024) }).inputLimits.maxParamsBytes).toBe(16 * 1024 * 1024);
    expect(errorOf({ ...DEV, SSP_MAX_PARAMS_BYTES: "99999999" }).message).toBe(
      'invalid configuration: SSP_MAX_PARAMS_BYTES must be a whole number from 2 to 16777216, got "99999999"',
    );
  });

  it("never puts the secret in an error message", () => {
    const err = errorOf({ SPOOKY_AUTH_SECRET: "hunter2", LISTEN_ADDR: "bad" });
    expect(err.message).not.toContain("hunter2");
  });
});

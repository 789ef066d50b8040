import { pino, type DestinationStream, type Logger } from "pino";
import pinoPretty from "pino-pretty";
import { activeTraceIds } from "./spans.js";

// The one logger of SSP: pino JSON lines on stdout, every line stamped with the
// trace_id/span_id of the active span (when there is one). Domain fields use the
// names in LogFields so logs can be joined with traces and metrics. Secrets are
// redacted wherever they appear at the usual paths; record bodies (fields named in
// BODY_FIELDS) are dropped from lines at info and above, so only debug shows them.

export type LogFormat = "json" | "pretty";

/** The field names SSP logs use; pass them to `logger.child(...)` or per line. */
export interface LogFields {
  request_id?: string;
  view_id?: string;
  table?: string;
  op?: string;
  client_id?: string;
}

export interface LoggerOptions {
  /** pino level: fatal, error, warn, info, debug, trace, silent. Default: LOG_LEVEL or info. */
  level?: string;
  /** json (default) or pretty (pino-pretty, for people). Default: LOG_FORMAT or json. */
  format?: LogFormat;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

export const LOG_LEVELS: readonly string[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS: readonly string[] = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  'headers["authorization"]',
  "secret",
  "*.secret",
  "authSecret",
  "*.authSecret",
  "password",
  "*.password",
  "token",
  "*.token",
  "SPOOKY_AUTH_SECRET",
  "*.SPOOKY_AUTH_SECRET",
  "SURREALDB_PASS",
  "*.SURREALDB_PASS",
];

/** Top-level fields that hold record bodies or params: written at debug and trace only. */
export const BODY_FIELDS: readonly string[] = ["record", "records", "body", "params"];

const INFO_LEVEL = 30;

/** Reads LOG_LEVEL and LOG_FORMAT; throws one clear line naming a bad variable. */
export function loggerOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Required<Omit<LoggerOptions, "destination">> {
  const level = (env.LOG_LEVEL ?? "info").trim().toLowerCase() || "info";
  if (!LOG_LEVELS.includes(level)) {
    throw new Error(`LOG_LEVEL=${env.LOG_LEVEL} is not a log level (one of ${LOG_LEVELS.join(", ")})`);
  }
  const format = (env.LOG_FORMAT ?? "json").trim().toLowerCase() || "json";
  if (format !== "json" && format !== "pretty") {
    throw new Error(`LOG_FORMAT=${env.LOG_FORMAT} is not a log format (json or pretty)`);
  }
  return { level, format };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const fromEnv = loggerOptionsFromEnv();
  const level = options.level ?? fromEnv.level;
  const format = options.format ?? fromEnv.format;
  const destination =
    format === "pretty"
      ? pinoPretty({ destination: options.destination ?? 1, sync: true, translateTime: "SYS:HH:MM:ss.l" })
      : (options.destination ?? pino.destination({ dest: 1, sync: false }));
  return pino(
    {
      level,
      base: { service: "ssp" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
      mixin: () => activeTraceIds() ?? {},
      hooks: { logMethod: dropBodiesAboveDebug },
    },
    destination,
  );
}

function dropBodiesAboveDebug(this: Logger, args: Parameters<Logger["info"]>, method: (...args: unknown[]) => void, level: number): void {
  const [first] = args;
  if (level >= INFO_LEVEL && typeof first === "object" && first !== null && !(first instanceof Error)) {
    const fields = first as Record<string, unknown>;
    if (BODY_FIELDS.some((key) => key in fields)) {
      const kept = { ...fields };
      for (const key of BODY_FIELDS) if (key in kept) kept[key] = "[omitted above debug]";
      method.apply(this, [kept, ...args.slice(1)]);
      return;
    }
  }
  method.apply(this, args);
}

export type { Logger };

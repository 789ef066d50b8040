/**
 * The process logger: pino JSON lines on stdout; human-readable only when
 * LOG_FORMAT=pretty. Credentials are redacted wherever a caller might pass them.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.js";

const REDACT = ["authorization", "*.authorization", "headers.authorization", "secret", "*.secret", "authSecret", "*.authSecret"];

export function createLogger(log: Config["log"], destination?: DestinationStream): Logger {
  const options = { level: log.level, base: { service: "ssp" }, redact: REDACT };
  if (destination !== undefined) return pino(options, destination);
  if (log.format === "pretty") {
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true, destination: 1 } } });
  }
  return pino(options);
}

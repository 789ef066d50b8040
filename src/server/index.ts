/** The server's public surface: what src/main.ts wires. Nothing outside src/server imports its internals. */
export { startServer, type RunningServer, type ServerConfig, type ServerOptions } from "./server.js";
export { checkStates } from "./readiness.js";
export { handleShutdownSignals, type ShutdownOptions } from "./shutdown.js";
export { sspVersion } from "./version.js";
export { DEFAULT_MAX_BATCH_CHANGES } from "./request-limits.js";

/**
 * SSP's entry point: configuration, logger, core, server, signals. The only
 * place that wires the parts together.
 */
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createCore } from "./core/create-core.js";
import { createLogger } from "./server/logger.js";
import { startServer } from "./server/server.js";
import { handleShutdownSignals } from "./server/shutdown.js";
import { sspVersion } from "./server/version.js";

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`ssp: ${err.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.log);
  if (config.insecureDev) {
    logger.warn("INSECURE DEV MODE (SPOOKY_INSECURE_DEV=1): every RPC is served WITHOUT authentication; never run this way in production");
  }
  const core = await createCore(config, logger);
  const server = await startServer(config, core, logger);
  handleShutdownSignals({ server, core, logger });
  logger.info(
    {
      address: `${server.host}:${server.port}`,
      version: sspVersion(),
      auth: config.insecureDev ? "off (insecure dev)" : "bearer",
      surrealdb: withoutCredentials(config.surreal.url),
    },
    `SSP listening on ${server.url}`,
  );
}

/** `wss://user:pass@host` → `wss://host`: URLs may carry credentials, logs must not. */
function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1");
}

main().catch((err: unknown) => {
  process.stderr.write(`ssp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

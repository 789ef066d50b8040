/**
 * SSP's entry point: configuration, telemetry, logger, core, server, signals.
 * The only place that wires the parts together (with src/core/create-core.ts,
 * which composes the services behind the server's Core seam).
 */
import { createSubscriberTokenVerifier, type SubscriberTokenVerifier } from "./auth/index.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createCore } from "./core/index.js";
import { DataDirLockedError, lockDataDir, type DataDirLock } from "./persistence/index.js";
import { checkStates, handleShutdownSignals, sspVersion, startServer } from "./server/index.js";
import { createLogger, createTransportMetrics, setupTelemetry } from "./telemetry/index.js";

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`ssp: ${err.message}\n`);
    process.exit(2);
  }
  // Before the data directory is touched: an unusable key stops the start here, as a configuration error.
  let subscriberTokens: SubscriberTokenVerifier | undefined;
  try {
    subscriberTokens = config.subscriberTokens === undefined ? undefined : await createSubscriberTokenVerifier(config.subscriberTokens);
  } catch (err) {
    const problem = `holds an unusable key: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`ssp: ${new ConfigError("SSP_SUBSCRIBER_JWKS_FILE", problem).message}\n`);
    process.exit(2);
  }
  let lock: DataDirLock;
  try {
    lock = await lockDataDir(config.dataDir);
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    process.stderr.write(`ssp: ${err.message}\n`);
    process.exit(2);
  }
  const telemetry = await setupTelemetry({ serviceVersion: sspVersion() });
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  if (config.insecureDev) {
    logger.warn("INSECURE DEV MODE (SPOOKY_INSECURE_DEV=1): every RPC is served WITHOUT authentication; never run this way in production");
  }
  const core = await createCore(config, logger, telemetry);
  telemetry.metrics.observeGauges({
    viewsActive: () => core.info().views,
    watchStreamsActive: () => core.info().streams,
    outboxPending: () => core.info().outboxPending,
    outboxSetAside: () => core.setAsideCount(),
  });
  const transportMetrics = createTransportMetrics(telemetry.meter);
  const server = await startServer(config, core, logger, {
    interceptors: [telemetry.rpcInterceptor()],
    routes: new Map([["/metrics", telemetry.prometheus]]),
    // Calls auth turns away never reach the telemetry interceptor (so they get no span): counted here.
    onGateRejected: (service, method, code, ms) => telemetry.metrics.recordRpc(service, method, code, ms),
    onConnectionRefused: () => transportMetrics.recordConnectionRefused(),
    ...(subscriberTokens === undefined ? {} : { subscriberTokens }),
  });
  transportMetrics.observeConnections(() => server.connections());
  telemetry.metrics.observeGauges({
    readinessChecks: async () => checkStates(await server.readiness()),
  });
  const closeAll = {
    close: async () => {
      try {
        await core.close();
        await telemetry.shutdown();
      } finally {
        await lock.release();
      }
    },
  };
  handleShutdownSignals({ server, core: closeAll, logger });
  logger.info(
    {
      address: `${server.host}:${server.port}`,
      version: sspVersion(),
      auth: config.insecureDev ? "off (insecure dev)" : config.subscriberTokens === undefined ? "bearer" : "bearer + subscriber tokens",
      surrealdb: withoutCredentials(config.surreal.url),
      data_dir: config.dataDir,
      journal: config.journal,
      cors_origins: config.corsOrigins,
    },
    `SSP listening on ${server.url}`,
  );
}

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^/@]*@/i, "$1");
}

main().catch((err: unknown) => {
  process.stderr.write(`ssp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * SIGINT/SIGTERM: stop the server gracefully, then close the core (which saves
 * and closes the database), then exit 0. A second signal exits at once.
 */
import type { Logger } from "pino";
import type { Core } from "../core/index.js";
import type { RunningServer } from "./server.js";

export interface ShutdownOptions {
  readonly server: Pick<RunningServer, "close">;
  readonly core: Pick<Core, "close">;
  readonly logger: Logger;
  readonly exit?: (code: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function handleShutdownSignals({ server, core, logger, exit = (code) => process.exit(code) }: ShutdownOptions): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, "shutting down");
    void stop().then(
      () => {
        logger.info("stopped");
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  const stop = async (): Promise<void> => {
    await server.close();
    await core.close?.();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}

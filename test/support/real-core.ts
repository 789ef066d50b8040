/** The real core (circuit, journal, edges on an embedded SurrealDB, hub) on a temp data dir. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { loadConfig, type Config } from "../../src/config.js";
import { createCore, type CoreOptions } from "../../src/core/create-core.js";
import type { SspCore } from "../../src/core/ssp-core.js";
import { setupTelemetry, type Telemetry } from "../../src/telemetry/index.js";

export interface RealCore {
  readonly core: SspCore;
  readonly config: Config;
  readonly telemetry: Telemetry;
  /** Closes the core (saving its state) and opens a new one on the same data dir. */
  restart(): Promise<RealCore>;
  close(): Promise<void>;
  /** Closes and deletes the data dir. */
  dispose(): Promise<void>;
}

export async function startRealCore(env: Record<string, string> = {}, dataDir?: string, options: CoreOptions = {}): Promise<RealCore> {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), "ssp-core-")));
  const config = loadConfig({
    SPOOKY_INSECURE_DEV: "1",
    SPOOKY_DATA_DIR: dir,
    SURREALDB_URL: `surrealkv://${path.join(dir, "surreal")}`,
    SAVE_DEBOUNCE_MS: "60000",
    ...env,
  });
  const telemetry = await setupTelemetry({ serviceVersion: "test", enableTracing: false });
  const core = await createCore(config, pino({ level: "silent" }), telemetry, options);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await core.close();
    await telemetry.shutdown();
  };
  return {
    core,
    config,
    telemetry,
    close,
    restart: async () => {
      await close();
      return startRealCore(env, dir, options);
    },
    dispose: async () => {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

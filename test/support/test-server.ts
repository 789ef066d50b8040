/** Starts the real server in-process on a free port, with logs captured for assertions. */
import { Writable } from "node:stream";
import type { Interceptor } from "@connectrpc/connect";
import { pino } from "pino";
import type { TransportLimits } from "../../src/config.js";
import type { Core } from "../../src/core/index.js";
import { startServer, type RunningServer, type ServerOptions } from "../../src/server/server.js";

export interface TestServer {
  readonly server: RunningServer;
  readonly url: string;
  /** Parsed log lines, in order. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startTestServer(
  core: Core,
  options: {
    secret?: string;
    reflectionPublic?: boolean;
    corsOrigins?: string[];
    shutdownTimeoutMs?: number;
    limits?: Partial<TransportLimits>;
    maxBatchChanges?: number;
    server?: ServerOptions;
    interceptors?: Interceptor[];
  } = {},
): Promise<TestServer> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  const server = await startServer(
    {
      listen: { host: "127.0.0.1", port: 0 },
      authSecret: options.secret,
      ...(options.reflectionPublic === undefined ? {} : { reflectionPublic: options.reflectionPublic }),
      ...(options.corsOrigins === undefined ? {} : { corsOrigins: options.corsOrigins }),
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 2000,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      maxBatchChanges: options.maxBatchChanges,
    },
    core,
    logger,
    options.server,
  );
  return { server, url: server.url, logs, close: async () => void (await server.close()) };
}

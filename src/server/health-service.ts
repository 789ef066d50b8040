/**
 * The standard grpc.health.v1.Health service, so standard probes work. Status
 * follows readiness: SERVING when ready, NOT_SERVING otherwise. The overall
 * server ("") and SSP's service are known; any other name is NOT_FOUND for
 * Check and SERVICE_UNKNOWN for Watch, as the health protocol specifies.
 *
 * Health needs no token, so Watch is bounded: at most `maxWatchers` streams at
 * once (beyond that, RESOURCE_EXHAUSTED), and one readiness poll shared by all
 * of them, running only while someone watches. A watcher costs a listener, not
 * a timer or a readiness evaluation.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { abortable } from "./abortable.js";
import { detailedError } from "./error-details.js";
import type { Readiness } from "../core/index.js";

const KNOWN_SERVICES = new Set(["", StreamProcessorService.typeName]);

export interface HealthServiceOptions {
  readonly readiness: () => Promise<Readiness>;
  /** How often Watch re-evaluates readiness to report changes. */
  readonly watchIntervalMs: number;
  /** Concurrent Watch streams (SSP_MAX_HEALTH_WATCHERS). */
  readonly maxWatchers: number;
}

/** The shared poll behind every Watch. */
interface StatusFeed {
  /** Registers a watcher; throws RESOURCE_EXHAUSTED at the cap. Returns its `leave`. */
  join(): () => void;
  /** The current status, then each change, until `signal` aborts. */
  changes(signal: AbortSignal): AsyncIterable<Status>;
}

export function healthService(options: HealthServiceOptions): Partial<ServiceImpl<typeof Health>> {
  const status = async (): Promise<Status> => ((await options.readiness()).ready ? Status.SERVING : Status.NOT_SERVING);
  const feed = statusFeed(status, options.watchIntervalMs, options.maxWatchers);
  return {
    async check(req) {
      if (!KNOWN_SERVICES.has(req.service)) {
        throw new ConnectError(`unknown service ${JSON.stringify(req.service)}: ask for "" or "${StreamProcessorService.typeName}"`, Code.NotFound);
      }
      return { status: await status() };
    },
    async *watch(req, ctx) {
      const leave = feed.join();
      try {
        if (!KNOWN_SERVICES.has(req.service)) {
          // The protocol keeps the call open: the service may become known later.
          yield { status: Status.SERVICE_UNKNOWN };
          yield* abortable(never(), ctx.signal);
          return;
        }
        for await (const current of abortable(feed.changes(ctx.signal), ctx.signal)) yield { status: current };
      } finally {
        leave();
      }
    },
  };
}

function statusFeed(status: () => Promise<Status>, intervalMs: number, maxWatchers: number): StatusFeed {
  let watchers = 0;
  let polling = false;
  /** Undefined until the first poll after a quiet spell, so nobody is told a stale status. */
  let current: Status | undefined;
  const wakers = new Set<() => void>();

  const poll = async (): Promise<void> => {
    const next = await status().catch(() => Status.NOT_SERVING);
    if (watchers === 0) {
      polling = false;
      current = undefined;
      return;
    }
    if (next !== current) {
      current = next;
      for (const wake of [...wakers]) wake();
    }
    setTimeout(() => void poll(), intervalMs).unref();
  };

  return {
    join() {
      if (watchers >= maxWatchers) {
        throw detailedError(
          `too many health watchers: at most ${maxWatchers} Watch streams at once (SSP_MAX_HEALTH_WATCHERS); use Check to poll`,
          Code.ResourceExhausted,
          { reason: "QUOTA_EXCEEDED", metadata: { limit: "SSP_MAX_HEALTH_WATCHERS", value: String(maxWatchers) }, retryDelayMs: 5000 },
        );
      }
      watchers++;
      if (!polling) {
        polling = true;
        void poll();
      }
      let left = false;
      return () => {
        if (!left) watchers--;
        left = true;
      };
    },
    async *changes(signal) {
      let last: Status | undefined;
      while (!signal.aborted) {
        if (current !== undefined && current !== last) {
          last = current;
          yield current;
          continue;
        }
        // Woken by the next change or by the abort, whichever comes first; either
        // way the listener is gone, so an ended watcher leaves nothing behind.
        await new Promise<void>((resolve) => {
          const wake = () => {
            wakers.delete(wake);
            signal.removeEventListener("abort", wake);
            resolve();
          };
          wakers.add(wake);
          signal.addEventListener("abort", wake, { once: true });
        });
      }
    },
  };
}

async function* never(): AsyncIterable<never> {
  await new Promise<never>(() => undefined);
}

/**
 * The standard grpc.health.v1.Health service, so standard probes work. Status
 * follows readiness: SERVING when ready, NOT_SERVING otherwise. The overall
 * server ("") and SSP's service are known; any other name is NOT_FOUND for
 * Check and SERVICE_UNKNOWN for Watch, as the health protocol specifies.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { abortable } from "./abortable.js";
import type { Readiness } from "./core.js";

const KNOWN_SERVICES = new Set(["", StreamProcessorService.typeName]);

export interface HealthServiceOptions {
  readonly readiness: () => Promise<Readiness>;
  /** How often Watch re-evaluates readiness to report changes. */
  readonly watchIntervalMs: number;
}

export function healthService(options: HealthServiceOptions): Partial<ServiceImpl<typeof Health>> {
  const status = async (): Promise<Status> => ((await options.readiness()).ready ? Status.SERVING : Status.NOT_SERVING);
  return {
    async check(req) {
      if (!KNOWN_SERVICES.has(req.service)) {
        throw new ConnectError(`unknown service ${JSON.stringify(req.service)}: ask for "" or "${StreamProcessorService.typeName}"`, Code.NotFound);
      }
      return { status: await status() };
    },
    async *watch(req, ctx) {
      if (!KNOWN_SERVICES.has(req.service)) {
        // The protocol keeps the call open: the service may become known later.
        yield { status: Status.SERVICE_UNKNOWN };
        yield* abortable(never(), ctx.signal);
        return;
      }
      yield* abortable(statusChanges(status, options.watchIntervalMs, ctx.signal), ctx.signal);
    },
  };
}

async function* statusChanges(status: () => Promise<Status>, intervalMs: number, signal: AbortSignal) {
  let last: Status | undefined;
  while (!signal.aborted) {
    const current = await status();
    if (current !== last) yield { status: current };
    last = current;
    await sleep(intervalMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

async function* never(): AsyncIterable<never> {
  await new Promise<never>(() => undefined);
}

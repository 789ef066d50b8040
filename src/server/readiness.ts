/**
 * Readiness as probes see it: the core's checks, plus the server's own
 * (`server`: not shutting down). A core that does not answer in time is not
 * ready, so a hung dependency cannot hang the probe.
 */
import type { Core, Readiness } from "../core/index.js";

export interface ReadinessSource {
  readonly core: Pick<Core, "readiness">;
  readonly isDraining: () => boolean;
  readonly timeoutMs: number;
}

export async function evaluateReadiness(source: ReadinessSource): Promise<Readiness> {
  const server = source.isDraining() ? { ok: false, detail: "shutting down" } : { ok: true };
  let core: Readiness;
  try {
    core = await withTimeout(source.core.readiness(), source.timeoutMs);
  } catch (err) {
    const detail = err instanceof TimeoutError ? `no answer within ${source.timeoutMs} ms` : `check failed: ${String(err)}`;
    core = { ready: false, checks: { core: { ok: false, detail } } };
  }
  return { ready: core.ready && server.ok, checks: { server, ...core.checks } };
}

/** Each check's name and whether it passes (for the `ssp_readiness_check` gauge). */
export function checkStates(readiness: Readiness): Record<string, boolean> {
  return Object.fromEntries(Object.entries(readiness.checks).map(([name, check]) => [name, check.ok]));
}

/** The names of the failing checks, for messages. */
export function failingChecks(readiness: Readiness): string[] {
  return Object.entries(readiness.checks)
    .filter(([, check]) => !check.ok)
    .map(([name]) => name);
}

class TimeoutError extends Error {}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

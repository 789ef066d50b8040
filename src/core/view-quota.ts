/**
 * SSP_MAX_VIEWS_PER_CLIENT: how many views one client id may hold.
 *
 * Checked inside the writer queue, in the registration's task, right before
 * the circuit applies it: registrations run one at a time there, so two
 * concurrent ones cannot both take the last slot, and a refused one throws
 * before anything changed (circuit, journal, edges, streams).
 *
 * Re-registering a view id the client already holds is not a new view. Moving
 * a view id to another client is one for that client. Views of no client ("")
 * are not counted: the quota is per client.
 */
import type { Circuit, ViewSpec } from "../circuit/index.js";

/** How long a client refused by the view quota should wait: slots free up only as views are removed or expire. */
export const VIEW_QUOTA_RETRY_MS = 30_000;

/** Read by the server's error mapping: `code` is the status, the rest its ErrorInfo and RetryInfo. */
export class ViewQuotaError extends Error {
  override name = "ViewQuotaError";
  readonly code = "RESOURCE_EXHAUSTED" as const;
  readonly reason = "QUOTA_EXCEEDED";
  readonly errorMetadata: Readonly<Record<string, string>>;
  readonly retryDelayMs = VIEW_QUOTA_RETRY_MS;

  constructor(clientId: string, max: number) {
    super(
      `client ${JSON.stringify(clientId)} has ${max} views, the most one client may register (SSP_MAX_VIEWS_PER_CLIENT); unregister one first. Nothing was changed`,
    );
    this.errorMetadata = { limit: "SSP_MAX_VIEWS_PER_CLIENT", value: String(max), client_id: clientId };
  }
}

/** Throws ViewQuotaError when registering `spec` would give its client more than `max` views. */
export function checkViewQuota(circuit: Circuit, spec: ViewSpec, max: number | undefined): void {
  if (max === undefined || spec.clientId === "") return;
  if (circuit.clientOfView(spec.id) === spec.clientId) return;
  if (circuit.viewCountOfClient(spec.clientId) >= max) throw new ViewQuotaError(spec.clientId, max);
}

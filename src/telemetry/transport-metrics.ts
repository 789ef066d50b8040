import type { Meter, ObservableResult } from "@opentelemetry/api";
import type { GaugeSource } from "./metrics.js";

// The transport's own families: connections against the cap (README, "Limits").
// Kept beside metrics.ts, on the same meter, so /metrics shows them with the rest.

export const METRIC_CONNECTIONS_REFUSED_TOTAL = "ssp_connections_refused_total";
export const METRIC_CONNECTIONS_OPEN = "ssp_connections_open";

export interface TransportMetrics {
  /** One connection closed at accept because SSP_MAX_CONNECTIONS were open. */
  recordConnectionRefused(): void;
  /** Supplies the open-connection count read at each collection. */
  observeConnections(source: GaugeSource): void;
}

export function createTransportMetrics(meter: Meter): TransportMetrics {
  const refused = meter.createCounter(METRIC_CONNECTIONS_REFUSED_TOTAL, {
    description: "Connections closed as soon as they were accepted, because SSP_MAX_CONNECTIONS were open.",
  });
  refused.add(0);
  let connections: GaugeSource | undefined;
  meter
    .createObservableGauge(METRIC_CONNECTIONS_OPEN, { description: "Open client connections (HTTP/1.1 and HTTP/2), against SSP_MAX_CONNECTIONS." })
    .addCallback(async (result: ObservableResult) => result.observe(await (connections?.() ?? 0)));
  return {
    recordConnectionRefused: () => refused.add(1),
    observeConnections(source) {
      connections = source;
    },
  };
}

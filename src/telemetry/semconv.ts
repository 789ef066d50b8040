// Names from the OpenTelemetry semantic conventions for RPC (gRPC), copied here as
// the conventions package recommends for its incubating (not yet stable) names:
// https://opentelemetry.io/docs/specs/semconv/rpc/grpc/
// SSP's own names (span names, span attributes, metric families) live beside them.

export const ATTR_RPC_SYSTEM = "rpc.system";
export const ATTR_RPC_SERVICE = "rpc.service";
export const ATTR_RPC_METHOD = "rpc.method";
export const ATTR_RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code";
export const RPC_SYSTEM_GRPC = "grpc";

/** RPC server duration in milliseconds, by rpc.system/service/method/status code. */
export const METRIC_RPC_SERVER_DURATION = "rpc.server.duration";

/** Child span names; one place so dashboards and code agree. */
export const SPAN_CIRCUIT_INGEST = "circuit.ingest";
export const SPAN_EDGES_WRITE = "edges.write";
export const SPAN_SNAPSHOT_SAVE = "snapshot.save";
export const SPAN_JOURNAL_APPEND = "journal.append";

/** Attributes of SSP's child spans. */
export const ATTR_SSP_TABLE = "ssp.table";
export const ATTR_SSP_OP = "ssp.op";
export const ATTR_SSP_VIEW_ID = "ssp.view_id";
export const ATTR_SSP_VIEWS_AFFECTED = "ssp.views_affected";
export const ATTR_SSP_EDGE_OPERATIONS = "ssp.edge.operations";
export const ATTR_SSP_EDGE_ROUND_TRIPS = "ssp.edge.round_trips";
export const ATTR_SSP_REQUEST_ID = "ssp.request_id";
export const ATTR_SSP_STREAM_MESSAGES_SENT = "ssp.stream.messages_sent";

/** Span events of WatchDeltas streams. */
export const EVENT_STREAM_SNAPSHOT = "snapshot";
export const EVENT_STREAM_RESUME = "resume";

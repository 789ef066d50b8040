import type { Attributes, Histogram, Meter, ObservableResult } from "@opentelemetry/api";
import {
  ATTR_RPC_GRPC_STATUS_CODE,
  ATTR_RPC_METHOD,
  ATTR_RPC_SERVICE,
  ATTR_RPC_SYSTEM,
  METRIC_RPC_SERVER_DURATION,
  RPC_SYSTEM_GRPC,
} from "./semconv.js";

// SSP's metric families (DESIGN.md, "Observability names"). Instruments are named
// with their exact Prometheus names so that the name a dashboard uses is the name
// grep finds here; OTLP carries the same names.

export type IngestOp = "create" | "update" | "delete";
/**
 * The `operation` label of `ssp_edge_operations_total`: one per membership change
 * written to SurrealDB (an edge created, its version updated, or removed). Not the
 * edge layer's EdgeStatementKind, which counts the statements a transaction commits.
 */
export type EdgeOperation = "create" | "update" | "delete";

/** A gauge's current value, read at each collection; may be async (e.g. `core.info()`). */
export type GaugeSource = () => number | Promise<number>;

/** Readiness checks by name (a fixed set, so the label stays bounded): true while passing. */
export type ReadinessChecksSource = () => Promise<Readonly<Record<string, boolean>>>;

/** Callbacks read at each collection (scrape or OTLP export). Missing ones read 0. */
export interface GaugeSources {
  viewsActive?: GaugeSource;
  watchStreamsActive?: GaugeSource;
  outboxPending?: GaugeSource;
  /** 1 while the SurrealQL parser answers (or is restarting), 0 once it cannot be recovered. */
  parserAvailable?: GaugeSource;
  /** Behind `ssp_readiness_check{check}`; no series until supplied. */
  readinessChecks?: ReadinessChecksSource;
  outboxSetAside?: GaugeSource;
}

/** One RPC method known at startup, so its duration series exists before its first call. */
export interface RpcMethodName {
  service: string;
  method: string;
}

/**
 * The hot-path recording API. Each method is one cheap call; none throws, none
 * blocks (the SDK aggregates in memory; export happens on scrape or on a timer).
 */
export interface SspMetrics {
  /** One applied ingest of `table` with `op`, taking `seconds` of engine work. */
  recordIngest(table: string, op: IngestOp, seconds: number): void;
  /** One ingest ignored because its explicit version was not newer. */
  recordStaleIngest(): void;
  /** `count` edge operations of one kind written (or queued in the outbox). */
  recordEdgeOperations(operation: EdgeOperation, count: number): void;
  /** The SurrealQL parser trapped and a fresh instance took over. */
  recordParserRestart(): void;
  /** One edge write SurrealDB refused for good was set aside (its views' edges are stale until resynced). */
  recordEdgeWriteSetAside(): void;
  /** One snapshot saved, taking `seconds`. */
  recordSnapshot(seconds: number): void;
  /** One snapshot save that failed (disk full, unwritable, …). */
  recordSnapshotFailure(): void;
  /** One finished RPC; `code` is the gRPC status code number (0 = OK). */
  recordRpc(service: string, method: string, code: number, milliseconds: number): void;
  /**
   * Makes `ssp_ingest_total{table,op}` exist at zero for `table` (all three ops),
   * so alerts on a table work before its first ingest. Call it for the tables a
   * view reads when the view is registered or restored. Idempotent. A declared
   * table keeps its own label even after other tables have overflowed into
   * OTHER_TABLE_LABEL (up to MAX_DECLARED_TABLE_LABELS declared tables).
   */
  declareTable(table: string): void;
  /** Supplies (or replaces) the callbacks behind the observable gauges. */
  observeGauges(sources: GaugeSources): void;
}

/**
 * A family that must be exported from startup even before it has a value: a
 * histogram with the series to show at zero, or a counter whose label values are
 * not known yet (its HELP and TYPE lines are shown until its first series).
 */
export type FamilySeed =
  | { kind: "histogram"; name: string; description: string; unit: string; boundaries: readonly number[]; series: readonly Attributes[] }
  | { kind: "counter"; name: string; description: string };

export type HistogramSeed = Extract<FamilySeed, { kind: "histogram" }>;

export const METRIC_INGEST_TOTAL = "ssp_ingest_total";
export const METRIC_INGEST_DURATION = "ssp_ingest_duration_seconds";
export const METRIC_VIEWS_ACTIVE = "ssp_views_active";
export const METRIC_EDGE_OPERATIONS_TOTAL = "ssp_edge_operations_total";
export const METRIC_WATCH_STREAMS_ACTIVE = "ssp_watch_streams_active";
export const METRIC_OUTBOX_PENDING = "ssp_outbox_pending";
export const METRIC_OUTBOX_SET_ASIDE = "ssp_outbox_set_aside";
export const METRIC_OUTBOX_SET_ASIDE_TOTAL = "ssp_outbox_set_aside_total";
export const METRIC_SNAPSHOT_DURATION = "ssp_snapshot_duration_seconds";
export const METRIC_STALE_INGESTS_TOTAL = "ssp_stale_ingests_total";
export const METRIC_PARSER_RESTARTS_TOTAL = "ssp_parser_restarts_total";
export const METRIC_PARSER_AVAILABLE = "ssp_parser_available";
export const METRIC_SNAPSHOT_FAILURES_TOTAL = "ssp_snapshot_failures_total";
export const METRIC_READINESS_CHECK = "ssp_readiness_check";

export const INGEST_OPS: readonly IngestOp[] = ["create", "update", "delete"];
export const EDGE_OPERATIONS: readonly EdgeOperation[] = ["create", "update", "delete"];

/** Engine work is microseconds: 5 µs … 1 s. */
export const INGEST_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
/** RPCs are sub-millisecond to seconds: 0.1 ms … 10 s. */
export const RPC_DURATION_BUCKETS_MS: readonly number[] = [
  0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
];
/** Snapshots write the whole state: 1 ms … 60 s. */
export const SNAPSHOT_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const GRPC_OK = 0;
/** Own `table` series for tables views read. */
export const MAX_DECLARED_TABLE_LABELS = 1000;
/** Own `table` series for tables no view reads, first come first served. */
export const MAX_UNDECLARED_TABLE_LABELS = 100;
/** The `table` label of every table past those limits. */
export const OTHER_TABLE_LABEL = "(other)";

/**
 * Creates every SSP instrument on `meter` and pre-creates the known label sets at
 * zero. `rpcMethods` are the RPCs whose OK duration series exist from startup.
 * Returns the recording API and the seeds the Prometheus handler uses to export
 * the families the SDK omits until their first recording.
 */
export function createSspMetrics(
  meter: Meter,
  rpcMethods: readonly RpcMethodName[],
): { metrics: SspMetrics; seeds: FamilySeed[] } {
  const ingestTotalSeed: FamilySeed = {
    kind: "counter",
    name: METRIC_INGEST_TOTAL,
    description: "Record changes applied, by table and operation.",
  };
  const ingestTotal = meter.createCounter(ingestTotalSeed.name, { description: ingestTotalSeed.description });
  const staleTotal = meter.createCounter(METRIC_STALE_INGESTS_TOTAL, {
    description: "Record changes ignored because their explicit version was not newer.",
  });
  const parserRestartsTotal = meter.createCounter(METRIC_PARSER_RESTARTS_TOTAL, {
    description: "Fresh SurrealQL parser instances started after one trapped (a query the limits let through broke the parser).",
  });
  const snapshotFailuresTotal = meter.createCounter(METRIC_SNAPSHOT_FAILURES_TOTAL, {
    description: "Snapshot saves that failed (the reason is logged and in /health/ready while it lasts).",
  });
  const edgeOpsTotal = meter.createCounter(METRIC_EDGE_OPERATIONS_TOTAL, {
    description: "Edge operations written to SurrealDB (or queued in the outbox), by operation.",
  });
  const setAsideTotal = meter.createCounter(METRIC_OUTBOX_SET_ASIDE_TOTAL, {
    description: "Edge writes SurrealDB refused for good and set aside so later writes could go on.",
  });
  const seeds = {
    ingest: histogramSeed(METRIC_INGEST_DURATION, "Engine time per applied record change.", "s", INGEST_DURATION_BUCKETS_SECONDS, [{}]),
    snapshot: histogramSeed(METRIC_SNAPSHOT_DURATION, "Time to save one snapshot of the state.", "s", SNAPSHOT_DURATION_BUCKETS_SECONDS, [{}]),
    rpc: histogramSeed(
      METRIC_RPC_SERVER_DURATION,
      "Duration of inbound RPCs, by service, method and gRPC status code.",
      "ms",
      RPC_DURATION_BUCKETS_MS,
      rpcMethods.map((m) => rpcAttributes(m.service, m.method, GRPC_OK)),
    ),
  };
  const ingestDuration = createHistogram(meter, seeds.ingest);
  const snapshotDuration = createHistogram(meter, seeds.snapshot);
  const rpcDuration = createHistogram(meter, seeds.rpc);

  let sources: GaugeSources = {};
  observeGauge(meter, METRIC_VIEWS_ACTIVE, "Registered views.", () => sources.viewsActive);
  observeGauge(meter, METRIC_WATCH_STREAMS_ACTIVE, "Open WatchDeltas streams.", () => sources.watchStreamsActive);
  observeGauge(meter, METRIC_OUTBOX_PENDING, "Edge operations waiting in the outbox for SurrealDB.", () => sources.outboxPending);
  observeGauge(
    meter,
    METRIC_PARSER_AVAILABLE,
    "1 while the SurrealQL parser can parse views, 0 once it failed and no fresh instance works (readiness fails).",
    () => sources.parserAvailable ?? (() => 1),
  );

  meter
    .createObservableGauge(METRIC_READINESS_CHECK, {
      description: "Each readiness check: 1 while it passes, 0 while it fails (the reason is in /health/ready).",
    })
    .addCallback(async (result: ObservableResult) => {
      const checks = (await sources.readinessChecks?.()) ?? {};
      for (const [check, ok] of Object.entries(checks)) result.observe(ok ? 1 : 0, { check });
    });

  observeGauge(
    meter,
    METRIC_OUTBOX_SET_ASIDE,
    "Edge writes set aside and not repaired yet: their views' edges are stale until ResyncEdges.",
    () => sources.outboxSetAside,
  );

  staleTotal.add(0);
  parserRestartsTotal.add(0);
  snapshotFailuresTotal.add(0);
  setAsideTotal.add(0);
  for (const operation of EDGE_OPERATIONS) edgeOpsTotal.add(0, { operation });

  // The table label is bounded: tables that views read (declared) get their own
  // series up to MAX_DECLARED_TABLE_LABELS, other tables up to
  // MAX_UNDECLARED_TABLE_LABELS, and every table past those counts under
  // OTHER_TABLE_LABEL. A client inventing table names thus adds at most a fixed
  // number of series, and cannot crowd out the tables views read. Attribute
  // objects are cached per table so the hot path allocates nothing.
  const ingestAttributes = new Map<string, Record<IngestOp, Attributes>>();
  let declaredLabels = 0;
  let undeclaredLabels = 0;
  const opAttributes = (table: string): Record<IngestOp, Attributes> => ({
    create: { table, op: "create" },
    update: { table, op: "update" },
    delete: { table, op: "delete" },
  });
  const other = opAttributes(OTHER_TABLE_LABEL);
  const labelTable = (table: string, byOp: Record<IngestOp, Attributes>): Record<IngestOp, Attributes> => {
    ingestAttributes.set(table, byOp);
    for (const op of INGEST_OPS) ingestTotal.add(0, byOp[op]);
    return byOp;
  };
  const attributesFor = (table: string): Record<IngestOp, Attributes> => {
    const known = ingestAttributes.get(table);
    if (known !== undefined) return known;
    if (undeclaredLabels >= MAX_UNDECLARED_TABLE_LABELS) return other;
    undeclaredLabels += 1;
    return labelTable(table, opAttributes(table));
  };
  const declare = (table: string): void => {
    if (ingestAttributes.has(table)) return;
    if (declaredLabels >= MAX_DECLARED_TABLE_LABELS) return;
    declaredLabels += 1;
    labelTable(table, opAttributes(table));
  };
  const edgeAttributes: Record<EdgeOperation, Attributes> = {
    create: { operation: "create" },
    update: { operation: "update" },
    delete: { operation: "delete" },
  };

  const metrics: SspMetrics = {
    recordIngest(table, op, seconds) {
      ingestTotal.add(1, attributesFor(table)[op]);
      ingestDuration.record(seconds);
    },
    recordStaleIngest() {
      staleTotal.add(1);
    },
    recordEdgeOperations(operation, count) {
      edgeOpsTotal.add(count, edgeAttributes[operation]);
    },
    recordParserRestart() {
      parserRestartsTotal.add(1);
    },
    recordEdgeWriteSetAside() {
      setAsideTotal.add(1);
    },
    recordSnapshot(seconds) {
      snapshotDuration.record(seconds);
    },
    recordSnapshotFailure() {
      snapshotFailuresTotal.add(1);
    },
    recordRpc(service, method, code, milliseconds) {
      rpcDuration.record(milliseconds, rpcAttributes(service, method, code));
    },
    declareTable(table) {
      declare(table);
    },
    observeGauges(next) {
      sources = { ...sources, ...next };
    },
  };
  return { metrics, seeds: [ingestTotalSeed, seeds.ingest, seeds.snapshot, seeds.rpc] };
}

/** A recording API that does nothing, for when metrics are disabled. */
export function createNoopSspMetrics(): SspMetrics {
  const nothing = (): void => {};
  return {
    recordIngest: nothing,
    recordStaleIngest: nothing,
    recordEdgeOperations: nothing,
    recordParserRestart: nothing,
    recordEdgeWriteSetAside: nothing,
    recordSnapshot: nothing,
    recordSnapshotFailure: nothing,
    recordRpc: nothing,
    declareTable: nothing,
    observeGauges: nothing,
  };
}

/** The attribute set of one RPC duration series (OTel RPC semantic conventions). */
export function rpcAttributes(service: string, method: string, code: number): Attributes {
  return {
    [ATTR_RPC_SYSTEM]: RPC_SYSTEM_GRPC,
    [ATTR_RPC_SERVICE]: service,
    [ATTR_RPC_METHOD]: method,
    [ATTR_RPC_GRPC_STATUS_CODE]: code,
  };
}

function histogramSeed(
  name: string,
  description: string,
  unit: string,
  boundaries: readonly number[],
  series: readonly Attributes[],
): HistogramSeed {
  return { kind: "histogram", name, description, unit, boundaries, series };
}

function createHistogram(meter: Meter, seed: HistogramSeed): Histogram {
  return meter.createHistogram(seed.name, {
    description: seed.description,
    unit: seed.unit,
    advice: { explicitBucketBoundaries: [...seed.boundaries] },
  });
}

function observeGauge(meter: Meter, name: string, description: string, source: () => GaugeSource | undefined): void {
  meter.createObservableGauge(name, { description }).addCallback(async (result: ObservableResult) => {
    result.observe(await (source()?.() ?? 0));
  });
}

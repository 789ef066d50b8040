/** The edge layer's public surface. Nothing outside src/edges imports its internals. */
export { openEdgeStore, createEdgeStore, EdgeStore, type EdgeStoreOptions, type EdgeStoreStats, type ViewMembership } from "./edge-store.js";
export { loadMigrations, migrate, migrationsDir, SchemaTooNewError, type Migration } from "./migrations.js";
export type { RetryPolicy } from "./edge-writer.js";
export type { SetAsideEntry, ViewScope } from "./outbox.js";
export { isPermanentFailure } from "./permanent-errors.js";
export type { EdgeDatabase, EdgeLogger, EdgeMetric, EdgeStatementKind, ResyncResult, WriteStatus } from "./types.js";

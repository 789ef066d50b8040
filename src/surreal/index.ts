/**
 * SurrealDB access, apart from what SSP writes into it: the shared connection
 * and the seam every user of SurrealDB goes through (the edge writer today; a
 * source reading SurrealDB's change feed would too), so no reader depends on
 * the edge writer.
 */
export { SurrealConnection, ConnectionUnavailableError, type ConnectionOptions } from "./connection.js";
export { silentLogger, type BackoffPolicy, type SurrealDatabase, type SurrealLogger } from "./types.js";

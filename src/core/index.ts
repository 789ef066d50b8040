/**
 * The core's public surface. src/server imports only the types of the Core
 * interface from here (a type-only import); main.ts builds the Core with createCore.
 * Nothing outside src/core imports its internals.
 */
export type * from "./core-api.js";
export { createCore, type CoreOptions } from "./create-core.js";
export { SspCore } from "./ssp-core.js";
export type { Mutation, MutationKind } from "./mutation.js";

/** The core's public surface: what src/main.ts wires. Nothing outside src/core imports its internals. */
export { createCore, type CoreOptions } from "./create-core.js";

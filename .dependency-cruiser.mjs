/**
 * The boundaries between src/'s folders, checked by `make deps` (part of `make test`).
 * Folders are matched by pattern, so a new folder is covered without touching this file.
 * Type-only imports (`import type`) are told apart from value imports: a type creates no
 * runtime wiring, so the composition rules below let types through and stop values.
 */
/**
 * Folders any other may use: the pure circuit, the SurrealDB connection (src/surreal/) that the edge writer and
 * sources share, and the callers' vocabulary (src/auth/: principals and token checks, no I/O) the server gates with.
 */
const LIBRARIES = "^src/(circuit|surreal|auth)/";

/** @type {import("dependency-cruiser").IConfiguration} */
export default {
  forbidden: [
    {
      name: "no-cycles",
      comment: "A cycle makes load order matter and hides which side owns a concept: split the shared part into a file of its own.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "circuit-is-pure",
      comment: "src/circuit's code imports nothing of ours outside itself (only packages), so it runs on its own.",
      severity: "error",
      from: { path: "^src/circuit/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(src|gen|test|bench|examples)/", pathNot: "^src/circuit/" },
    },
    {
      name: "circuit-tests-use-no-service",
      comment: "The circuit's tests may check it against the SurrealDB oracle in test/, but use no other part of src/.",
      severity: "error",
      from: { path: "^src/circuit/.*\\.test\\.ts$" },
      to: { path: "^(src|gen)/", pathNot: "^src/circuit/" },
    },
    {
      name: "only-through-index",
      comment: "A folder's index.ts is its public surface: from outside the folder, import that and nothing else.",
      severity: "error",
      from: { path: "^src/([^/]+)" },
      to: {
        path: "^src/[^/]+/",
        pathNot: ["^src/$1/", "^src/[^/]+/index\\.ts$"],
      },
    },
    {
      name: "only-main-wires-core",
      comment: "Only src/main.ts builds the core; others may name its types (the server calls it through its interface).",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/core/", "^src/main\\.ts$"] },
      to: { path: "^src/core/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "only-core-composes",
      comment:
        "Service folders (server, edges, streaming, persistence, telemetry, ...) do not use each other's code: src/core and " +
        "src/main.ts compose them. Types may be shared; tests may compose real parts.",
      severity: "error",
      from: { path: "^src/([^/]+)/", pathNot: ["^src/core/", "\\.test\\.ts$"] },
      to: {
        path: "^src/[^/]+/",
        pathNot: ["^src/$1/", "^src/core/", LIBRARIES],
        dependencyTypesNot: ["type-only"],
      },
    },
  ],
  options: {
    includeOnly: "^(src|gen|test|bench|examples)/",
    tsConfig: { fileName: "tsconfig.json" },
    // Count `import type` too: a cycle through types is still a cycle between concepts.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".json"] },
  },
};

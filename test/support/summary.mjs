// Prints the one plain summary line CI reads: `tests: N passed, N failed`.
// Reads vitest's JSON report; a missing report counts as a failure.
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  console.log(`tests: 0 passed, 1 failed`);
  console.error(`no vitest report at ${file}: ${err.message}`);
  process.exit(1);
}
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed` +
    (skipped > 0 ? `, ${skipped} skipped` : ""),
);
process.exit(report.success ? 0 : 1);

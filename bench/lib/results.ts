/** What every benchmark writes: target checks and the JSON result files under bench/results/. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { MachineInfo } from "../engine/machine.js";

/** One DESIGN.md target, what was measured against it, and whether it was met. */
export interface TargetCheck {
  readonly target: string;
  readonly goal: string;
  readonly value: number;
  readonly unit: string;
  readonly met: boolean;
}

/** What every result file carries at least. */
export interface ResultFile {
  readonly startedAt: string;
  readonly machine: MachineInfo;
}

/** Writes `<name>-<timestamp>.json` and `latest-<name>.json` under `dir`; returns their paths. */
export function writeResultFiles(r: ResultFile, dir: string, name: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, "-");
  const text = `${JSON.stringify(r, null, 2)}\n`;
  const files = [path.join(dir, `${name}-${stamp}.json`), path.join(dir, `latest-${name}.json`)];
  for (const f of files) writeFileSync(f, text);
  return files;
}

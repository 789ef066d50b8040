/** Printed tables and JSON files for the service benchmark and the soak, in the engine bench's format. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { MachineInfo } from "../engine/machine.js";

export interface TargetCheck {
  readonly target: string;
  readonly goal: string;
  readonly value: number;
  readonly unit: string;
  readonly met: boolean;
}

export interface ResultFile {
  readonly startedAt: string;
  readonly machine: MachineInfo;
}

export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en");
  return x.toFixed(digits);
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function machineLine(title: string, m: MachineInfo, seed: number): string {
  return `${title} — seed ${seed}, ${m.cpus}× ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, commit ${m.commit.slice(0, 10)}${m.dirty ? " (dirty)" : ""}, load average ${m.loadAverage.join(" ")}`;
}

export function targetsTable(targets: readonly TargetCheck[]): string {
  return table(
    ["target (DESIGN.md)", "goal", "measured", "met"],
    targets.map((t) => [t.target, t.goal, `${fmt(t.value)} ${t.unit}`, t.met ? "yes" : "NO"]),
  );
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

export const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

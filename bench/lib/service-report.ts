/** Printed tables and JSON files for the service benchmark and the soak, in the engine bench's format. */
import type { MachineInfo } from "../engine/machine.js";
import type { TargetCheck } from "./results.js";
import { fmt, table } from "./table.js";

export { writeResultFiles, type ResultFile, type TargetCheck } from "./results.js";
export { fmt, table } from "./table.js";


export function machineLine(title: string, m: MachineInfo, seed: number): string {
  return `${title} — seed ${seed}, ${m.cpus}× ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, commit ${m.commit.slice(0, 10)}${m.dirty ? " (dirty)" : ""}, load average ${m.loadAverage.join(" ")}`;
}

export function targetsTable(targets: readonly TargetCheck[]): string {
  return table(
    ["target (DESIGN.md)", "goal", "measured", "met"],
    targets.map((t) => [t.target, t.goal, `${fmt(t.value)} ${t.unit}`, t.met ? "yes" : "NO"]),
  );
}

export const ms = (ns: number): number => Math.round(ns / 1e4) / 100;

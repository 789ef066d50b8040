/** Where a run happened: hardware, Node, and the git commit measured. */
import { execFileSync } from "node:child_process";
import os from "node:os";

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly loadAverage: readonly number[];
  readonly platform: string;
  readonly arch: string;
  readonly node: string;
  readonly commit: string;
  /** Whether the work tree had uncommitted changes when measured. */
  readonly dirty: boolean;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    platform: os.platform(),
    arch: os.arch(),
    node: process.version,
    commit: git(["rev-parse", "HEAD"]) || "unknown",
    dirty: git(["status", "--porcelain", "--", "src", "bench"]).length > 0,
  };
}

/**
 * The few file-system steps that durability rests on. A rename or unlink is only
 * durable once the directory holding it is fsynced, and a file that was found
 * corrupt is renamed aside (never deleted) so an operator can inspect it.
 */
import { open, rename, type FileHandle } from "node:fs/promises";
import path from "node:path";

/** Fsyncs a directory, making the creations, renames and unlinks in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Renames `file` (or a directory) to `<file>.<label>-<timestamp>` beside it, durably,
 * and returns the new path.
 */
export async function moveAside(file: string, label = "corrupt", now: Date = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const target = `${file}.${label}-${stamp}`;
  await rename(file, target);
  await syncDirectory(path.dirname(file));
  return target;
}

/** Writes all of `bytes` at `offset` (a single write may be short). */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, offset: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, offset + written);
    written += bytesWritten;
  }
}

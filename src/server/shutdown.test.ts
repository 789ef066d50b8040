import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { handleShutdownSignals } from "./shutdown.js";

let dispose: (() => void) | undefined;
afterEach(() => dispose?.());

function harness(closeServer: () => Promise<unknown> = async () => ({ drained: true })) {
  const steps: string[] = [];
  let exited!: (code: number) => void;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  dispose = handleShutdownSignals({
    server: { close: async () => (steps.push("server.close"), closeServer()) as Promise<{ drained: boolean }> },
    core: { close: async () => void steps.push("core.close") },
    logger: pino({ level: "silent" }),
    exit: (code) => {
      steps.push(`exit ${code}`);
      exited(code);
    },
  });
  return { steps, exit };
}

it("on SIGTERM stops the server, then closes the core, then exits 0", async () => {
  const { steps, exit } = harness();
  process.emit("SIGTERM");
  expect(await exit).toBe(0);
  expect(steps).toEqual(["server.close", "core.close", "exit 0"]);
});

it("on a second signal exits 1 at once", async () => {
  const { steps, exit } = harness(() => new Promise(() => undefined));
  process.emit("SIGINT");
  process.emit("SIGINT");
  expect(await exit).toBe(1);
  expect(steps).toEqual(["server.close", "exit 1"]);
});

it("exits 1 when closing fails", async () => {
  const { exit } = harness(async () => {
    throw new Error("boom");
  });
  process.emit("SIGTERM");
  expect(await exit).toBe(1);
});

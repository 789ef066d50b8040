import fc from "fast-check";
import { expect, it } from "vitest";
import { WriterQueue } from "./writer-queue.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("runs tasks one at a time, in call order, whatever their durations", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }), async (delays) => {
      const queue = new WriterQueue();
      const log: string[] = [];
      let running = 0;
      await Promise.all(
        delays.map((ms, i) =>
          queue.run(async () => {
            running++;
            expect(running).toBe(1);
            log.push(`start ${i}`);
            await tick(ms);
            log.push(`end ${i}`);
            running--;
          }),
        ),
      );
      expect(log).toEqual(delays.flatMap((_, i) => [`start ${i}`, `end ${i}`]));
    }),
    { numRuns: 30 },
  );
});

it("keeps going after a failing task, which fails only its own caller", async () => {
  const queue = new WriterQueue();
  const failed = queue.run(() => {
    throw new Error("bad batch");
  });
  const next = queue.run(() => "applied");
  await expect(failed).rejects.toThrow("bad batch");
  expect(await next).toBe("applied");
  await queue.idle();
  expect(queue.size).toBe(0);
});

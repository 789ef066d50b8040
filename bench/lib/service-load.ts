/** Closed-loop load: N callers, each awaiting its call before the next, for a fixed time. */

export interface LoadResult {
  readonly calls: number;
  readonly errors: number;
  readonly seconds: number;
  /** Per successful call, nanoseconds. */
  readonly latenciesNs: number[];
  readonly firstError?: string | undefined;
}

/** Runs `call` from `concurrency` callers until `seconds` have passed (or `maxCalls` were made). */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  call: (caller: number) => Promise<unknown>,
  maxCalls = Number.POSITIVE_INFINITY,
): Promise<LoadResult> {
  const latenciesNs: number[] = [];
  let calls = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = process.hrtime.bigint();
  const endAt = started + BigInt(Math.round(seconds * 1e9));
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      while (process.hrtime.bigint() < endAt && calls < maxCalls) {
        calls += 1;
        const t0 = process.hrtime.bigint();
        try {
          await call(caller);
          latenciesNs.push(Number(process.hrtime.bigint() - t0));
        } catch (err) {
          errors += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  return { calls, errors, seconds: Number(process.hrtime.bigint() - started) / 1e9, latenciesNs, firstError };
}

/**
 * Ends a stream promptly when a signal aborts, even if its source is waiting
 * for the next event: the source is told to return, and the stream throws the
 * abort reason (the server aborts with UNAVAILABLE "server shutting down").
 */
import { Code, ConnectError } from "@connectrpc/connect";

export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  const it = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  aborted.catch(() => undefined); // observed below; never an unhandled rejection
  let finished = false;
  try {
    for (;;) {
      const step = await Promise.race([it.next(), aborted]);
      if (step.done === true) {
        finished = true;
        return;
      }
      yield step.value;
    }
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
    // Not awaited: a generator suspended in an await only returns once it resumes.
    if (!finished) it.return?.()?.catch(() => undefined);
  }
}

function abortReason(signal: AbortSignal): ConnectError {
  return signal.reason instanceof ConnectError ? signal.reason : new ConnectError("call canceled", Code.Canceled);
}

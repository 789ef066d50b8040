/**
 * The one ordered writer queue every mutation goes through (ingest, batch,
 * register, unregister, reset), so registrations and ingests never interleave
 * inside the services: each task starts only after the previous one settled,
 * in call order, and a failing task does not stop the queue.
 *
 * Keep tasks to the steps that must not interleave (apply to the circuit,
 * append to the journal, hand edge writes to the writer) and await slow
 * completions (an edge transaction's commit) outside the queue: that is what
 * lets the edge writer group-commit the writes of concurrent ingests.
 */
export class WriterQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(task).finally(() => this.pending--);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

/**
 * How far the journal is durable, and the streams waiting for it to go further.
 *
 * Every message a stream queues carries the journal position of the state it
 * shows (a delta: its mutation's; a snapshot: the last mutation applied when it
 * was taken). A stream hands a message to its consumer only once that position
 * is durable, so no consumer ever sees a mutation that a crash could still undo,
 * and no sequence number it saw can be issued again for other content.
 *
 * Invariant: `position` never decreases; waiters are woken on every advance.
 */
export interface GateWaiter {
  /** The durable position advanced: deliver what became deliverable. */
  wake(): void;
}

export class DeliveryGate {
  private durable: number;
  private readonly waiting = new Set<GateWaiter>();
  private failure: Error | undefined;

  constructor(position = 0) {
    this.durable = position;
  }

  /** The last durable journal position. */
  get position(): number {
    return this.durable;
  }

  isDurable(position: number): boolean {
    return position <= this.durable;
  }

  advance(position: number): void {
    if (position <= this.durable) return;
    this.durable = position;
    for (const waiter of [...this.waiting]) waiter.wake();
  }

  /** Set once nothing can become durable any more: what waits will never be delivered. */
  get halted(): Error | undefined {
    return this.failure;
  }

  halt(error: Error): void {
    this.failure ??= error;
    for (const waiter of [...this.waiting]) waiter.wake();
  }

  /** Wakes `waiter` on the next advance (and every one after, until cancelled). */
  wait(waiter: GateWaiter): void {
    this.waiting.add(waiter);
  }

  cancel(waiter: GateWaiter): void {
    this.waiting.delete(waiter);
  }

  get waiters(): number {
    return this.waiting.size;
  }
}

/**
 * How many WatchDeltas streams may be open at once: in all, and per client.
 *
 * A stream counts against its owner (a subscriber token's client) and its
 * client_id, each once. The views it names count it only in all: a backend
 * following one popular view for thousands of users is not that view's client
 * opening thousands of streams. The count is taken at open and held until the
 * stream ends, whatever views it gains or loses meanwhile.
 *
 * acquire() runs in the same synchronous step as the hub registers the stream,
 * so two concurrent opens cannot both take the last slot.
 */
import { StreamQuotaError } from "./errors.js";

export interface StreamQuotaLimits {
  /** SSP_MAX_STREAMS. */
  readonly maxStreams: number;
  /** SSP_MAX_STREAMS_PER_CLIENT. */
  readonly maxStreamsPerClient: number;
}

export class StreamQuota {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: StreamQuotaLimits) {}

  /**
   * Takes one slot in all and one per client, or throws StreamQuotaError and
   * takes nothing. Returns the release, which frees the slots once however
   * often it is called.
   */
  acquire(clients: ReadonlySet<string>): () => void {
    const { maxStreams, maxStreamsPerClient } = this.limits;
    if (this.total >= maxStreams) {
      throw new StreamQuotaError(`${maxStreams} WatchDeltas streams are open, the most this service allows (SSP_MAX_STREAMS)`, "SSP_MAX_STREAMS", maxStreams);
    }
    for (const client of clients) {
      if ((this.perClient.get(client) ?? 0) >= maxStreamsPerClient) {
        throw new StreamQuotaError(
          `client ${JSON.stringify(client)} has ${maxStreamsPerClient} WatchDeltas streams open, the most one client may (SSP_MAX_STREAMS_PER_CLIENT)`,
          "SSP_MAX_STREAMS_PER_CLIENT",
          maxStreamsPerClient,
          client,
        );
      }
    }
    this.total++;
    for (const client of clients) this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      for (const client of clients) {
        const left = (this.perClient.get(client) ?? 1) - 1;
        if (left === 0) this.perClient.delete(client);
        else this.perClient.set(client, left);
      }
    };
  }

  /** Open streams counted against `client` (all of them without one). */
  count(client?: string): number {
    return client === undefined ? this.total : (this.perClient.get(client) ?? 0);
  }
}

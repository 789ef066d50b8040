/**
 * A model circuit wired to a DeltaHub the way the integrator wires the real one:
 * every mutation is applied, then its deltas are published in the same step.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";
import type { StoredRecord, ViewDelta } from "../../../src/circuit/types.js";
import { DeltaHub, type DeltaHubOptions, type WatchMessage, type WatchRequest } from "../../../src/streaming/index.js";
import { ModelCircuit } from "./model-circuit.js";

export interface World {
  readonly circuit: ModelCircuit;
  readonly hub: DeltaHub;
  register(viewId: string, clientId: string, memberIds?: readonly string[]): void;
  unregister(viewId: string): void;
  put(id: string, body: StoredRecord["body"]): ViewDelta[];
  add(viewId: string, id: string): ViewDelta[];
  remove(viewId: string, id: string): ViewDelta[];
}

export function createWorld(options: Partial<DeltaHubOptions> = {}): World {
  const circuit = new ModelCircuit();
  const hub = new DeltaHub(circuit, { replayLogSize: 64, queueLimit: 1000, heartbeatMs: 0, ...options });
  const published = (deltas: ViewDelta[]): ViewDelta[] => {
    hub.publish(deltas);
    return deltas;
  };
  return {
    circuit,
    hub,
    register(viewId, clientId, memberIds = []) {
      hub.viewRegistered(viewId, clientId, circuit.register(viewId, clientId, memberIds));
    },
    unregister(viewId) {
      hub.viewUnregistered(viewId, circuit.unregister(viewId));
    },
    put: (id, body) => published(circuit.put(id, body)),
    add: (viewId, id) => published(circuit.add(viewId, id)),
    remove: (viewId, id) => published(circuit.remove(viewId, id)),
  };
}

export function request(fields: Partial<WatchRequest> & { resume?: Record<string, number> }): WatchRequest {
  return {
    viewIds: fields.viewIds ?? [],
    clientId: fields.clientId,
    resumeFrom: fields.resumeFrom ?? new Map(Object.entries(fields.resume ?? {})),
    includeRecords: fields.includeRecords ?? false,
    owner: fields.owner,
    endsAt: fields.endsAt,
  };
}

/** Reads a stream in the background, as a server handler would. */
export class Reader {
  readonly messages: WatchMessage[] = [];
  done = false;
  error: unknown;

  constructor(stream: AsyncIterable<WatchMessage>) {
    void (async () => {
      try {
        for await (const message of stream) this.messages.push(message);
      } catch (error) {
        this.error = error;
      }
      this.done = true;
    })();
  }

  /** Lets every queued message reach the reader (a macrotask drains all microtasks). */
  async settle(): Promise<this> {
    await nextMacrotask();
    return this;
  }

  /** Messages received since the last call. */
  take(): WatchMessage[] {
    return this.messages.splice(0);
  }
}

export function read(stream: AsyncIterable<WatchMessage>): Reader {
  return new Reader(stream);
}

/** A compact view of messages for assertions: "snapshot v1@0 [a:1=1]", "delta v1@1 CREATED a:2=1". */
export function summarize(messages: readonly WatchMessage[]): string[] {
  return messages.map((m) => {
    switch (m.kind) {
      case "snapshot":
        return `snapshot ${m.viewId}@${m.sequence}${m.reset ? " reset" : ""} [${m.members.map((x) => `${x.id.text}=${x.version}`).join(" ")}]`;
      case "delta":
        return `delta ${m.viewId}@${m.sequence} ${m.deltas.map((d) => `${d.event} ${d.id.text}=${d.version}`).join(", ")}`;
      case "closed":
        return `closed ${m.viewId}@${m.sequence}`;
      case "heartbeat":
        return "heartbeat";
    }
  });
}

/** The delta hub's read access to the circuit. */
import type { Circuit } from "../circuit/index.js";
import type { ViewSource } from "../streaming/index.js";

export function circuitViewSource(circuit: Circuit): ViewSource {
  return {
    getView: (id) => circuit.getView(id),
    viewIdsOfClient: (clientId) => circuit.listViews(clientId).map((view) => view.spec.id),
    getRecord: (id) => circuit.getRecord(id),
  };
}

/**
 * The browser example: follows views with WatchDeltas (Connect protocol,
 * server streaming over fetch, HTTP/1.1 or whatever the browser negotiates)
 * using a subscriber token, and renders each view's members as they change.
 *
 * Input comes from the form or the URL fragment (`#server=…&token=…&views=a,b`
 * or `&client=…`); a fragment never reaches any server's logs. With a token in
 * the fragment the page connects at once.
 *
 * Members are kept per view from the snapshot and then patched by each delta;
 * sequences and the incarnation are kept too, so connecting again (say with a
 * fresh token after the old one expired) resumes where the stream stopped.
 * Everything shown is set with textContent, never parsed as HTML.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { DeltaEvent, StreamProcessorService, type WatchDeltasResponse } from "../../../gen/spooky/ssp/v1/ssp_pb.js";

interface ViewState {
  /** Record id → version. */
  readonly members: Map<string, bigint>;
  sequence: bigint;
  closed: boolean;
}

interface Inputs {
  readonly server: string;
  readonly token: string;
  readonly views: string[];
  readonly client: string;
}

const views = new Map<string, ViewState>();
let incarnation = "";
let running: AbortController | undefined;

const form = element(HTMLFormElement, "#connect");
const status = element(HTMLElement, "#status");
const output = element(HTMLElement, "#views-out");

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void watch(readForm());
});

const fromFragment = new URLSearchParams(location.hash.slice(1));
for (const name of ["server", "token", "views", "client"]) {
  const value = fromFragment.get(name);
  if (value !== null) (form.elements.namedItem(name) as HTMLInputElement).value = value;
}
if (fromFragment.has("token")) void watch(readForm());

function readForm(): Inputs {
  const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
  return {
    server: value("server"),
    token: value("token"),
    views: value("views").split(",").map((v) => v.trim()).filter((v) => v !== ""),
    client: value("client"),
  };
}

async function watch(inputs: Inputs): Promise<void> {
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const client = createClient(StreamProcessorService, createConnectTransport({ baseUrl: inputs.server, useBinaryFormat: true }));
  setStatus("connecting", `Connecting to ${inputs.server}…`);
  try {
    const stream = client.watchDeltas(
      {
        viewIds: inputs.views,
        clientId: inputs.client,
        resumeFrom: Object.fromEntries([...views].map(([id, view]) => [id, view.sequence])),
        incarnation,
      },
      { headers: { authorization: `Bearer ${inputs.token}` }, signal: controller.signal },
    );
    for await (const message of stream) {
      if (running !== controller) return;
      apply(message);
      setStatus("streaming", `Streaming ${views.size} view(s).`);
      render();
    }
    setStatus("ended", "The server ended the stream.");
  } catch (err) {
    if (running !== controller) return;
    const error = ConnectError.from(err);
    setStatus("error", `${codeName(error.code)}: ${error.rawMessage}`);
  }
}

function apply(message: WatchDeltasResponse): void {
  const kind = message.kind;
  switch (kind.case) {
    case "snapshot": {
      const { viewId, sequence, members } = kind.value;
      incarnation = kind.value.incarnation;
      views.set(viewId, { members: new Map(members.map((m) => [m.id, m.version])), sequence, closed: false });
      return;
    }
    case "delta": {
      const view = views.get(kind.value.viewId);
      if (view === undefined) return;
      for (const delta of kind.value.deltas) {
        if (delta.event === DeltaEvent.DELETED) view.members.delete(delta.id);
        else view.members.set(delta.id, delta.version);
      }
      view.sequence = kind.value.sequence;
      return;
    }
    case "closed": {
      const view = views.get(kind.value.viewId);
      if (view !== undefined) view.closed = true;
      return;
    }
    default:
      return; // heartbeats keep the stream open; nothing to show
  }
}

function render(): void {
  const sections = [...views].sort(([a], [b]) => a.localeCompare(b)).map(([id, view]) => {
    const section = document.createElement("section");
    section.dataset.view = id;
    const heading = document.createElement("h2");
    heading.textContent = id;
    const detail = document.createElement("span");
    detail.className = "muted";
    detail.textContent = ` · sequence ${view.sequence} · ${view.members.size} member(s)${view.closed ? " · closed" : ""}`;
    heading.append(detail);
    const list = document.createElement("ul");
    for (const [record, version] of [...view.members].sort(([a], [b]) => a.localeCompare(b))) {
      const item = document.createElement("li");
      item.dataset.id = record;
      item.dataset.version = String(version);
      item.textContent = `${record} v${version}`;
      list.append(item);
    }
    section.append(heading, list);
    return section;
  });
  output.replaceChildren(...sections);
}

function setStatus(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

/** The page's element for `selector`; index.html always has it. */
function element<T extends Element>(type: abstract new () => T, selector: string): T {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`index.html has no ${selector}`);
  return found;
}

/** gRPC's name for a code: Code.PermissionDenied → "PERMISSION_DENIED". */
function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/**
 * StreamProcessorService handlers: authorize, convert, call the core, convert
 * back. No logic of their own. Authorization (authorize.ts) comes first in
 * every handler, before any work. An RPC whose capability the core lacks
 * answers UNIMPLEMENTED, saying so.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { abortable } from "./abortable.js";
import { detailedError } from "./error-details.js";
import { notOwnView, requireOwnClient, requireService, subscriberOf } from "./authorize.js";
import {
  clientIdFromProto,
  edgeStatusToProto,
  memberToProto,
  msToDuration,
  recordChangeFromProto,
  recordChangesFromProto,
  viewDeltaToProto,
  viewIdFromProto,
  viewInfoToProto,
  viewSpecFromProto,
  watchMessageToProto,
  watchRequestFromProto,
} from "./convert.js";
import type { Core } from "../core/index.js";
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from "./request-limits.js";

export interface SspServiceOptions {
  readonly core: Core;
  /** SSP's version, for GetServerInfo. */
  readonly version: string;
  /** When the server started (ms since the epoch), for uptime. */
  readonly startedAt: number;
  /** Batch size (ids and table names have fixed limits); the defaults when not given. */
  readonly limits?: RequestLimits;
}

type Capability = Exclude<keyof Core, "info" | "readiness" | "close">;

export function sspService({ core, version, startedAt, limits = DEFAULT_REQUEST_LIMITS }: SspServiceOptions): ServiceImpl<typeof StreamProcessorService> {
  /** The core's method bound to it, or UNIMPLEMENTED naming the RPC. */
  function need<K extends Capability>(name: K, rpc: string): NonNullable<Core[K]> {
    const fn = core[name];
    if (fn === undefined) {
      throw new ConnectError(`${rpc} is not available: this server was started without that capability`, Code.Unimplemented);
    }
    return (fn as (...args: unknown[]) => unknown).bind(core) as NonNullable<Core[K]>;
  }

  return {
    async ingest(req, ctx) {
      requireService(ctx, "Ingest");
      const ingest = need("ingest", "Ingest");
      const result = await ingest([recordChangeFromProto(req.change, "change")]);
      return {
        views: result.views.map((v) => viewDeltaToProto(v)),
        stale: result.stale > 0,
        edges: edgeStatusToProto(result.edges),
      };
    },

    async ingestBatch(req, ctx) {
      requireService(ctx, "IngestBatch");
      const ingest = need("ingest", "IngestBatch");
      const changes = recordChangesFromProto(req.changes, limits);
      const result = await ingest(changes);
      return {
        views: result.views.map((v) => viewDeltaToProto(v)),
        applied: result.applied,
        stale: result.stale,
        edges: edgeStatusToProto(result.edges),
      };
    },

    async registerView(req, ctx) {
      requireService(ctx, "RegisterView");
      const register = need("registerView", "RegisterView");
      const result = await register(viewSpecFromProto(req, Date.now()));
      return {
        viewId: result.view.spec.id,
        members: result.view.members.map(memberToProto),
        sequence: BigInt(result.view.sequence),
        replaced: result.replaced === undefined ? undefined : viewDeltaToProto(result.replaced),
        edges: edgeStatusToProto(result.edges),
      };
    },

    async unregisterView(req, ctx) {
      requireService(ctx, "UnregisterView");
      const unregister = need("unregisterView", "UnregisterView");
      const result = await unregister(viewIdFromProto(req.id, "id"));
      return { edges: edgeStatusToProto(result.edges) };
    },

    async reset(_req, ctx) {
      requireService(ctx, "Reset");
      const reset = need("reset", "Reset");
      const result = await reset();
      return { edges: edgeStatusToProto(result.edges) };
    },

    async getView(req, ctx) {
      const subscriber = subscriberOf(ctx);
      const getView = need("getView", "GetView");
      const id = viewIdFromProto(req.id, "id");
      const view = await getView(id);
      if (subscriber !== undefined && view?.spec.clientId !== subscriber.clientId) throw notOwnView(subscriber, id);
      if (view === undefined) {
        throw detailedError(`view ${JSON.stringify(id)} is not registered`, Code.NotFound, { reason: "VIEW_NOT_FOUND", metadata: { view_id: id } });
      }
      return {
        view: viewInfoToProto({ spec: view.spec, sequence: view.sequence, memberCount: view.members.length }),
        members: view.members.map(memberToProto),
      };
    },

    async listViews(req, ctx) {
      const subscriber = subscriberOf(ctx);
      if (subscriber !== undefined && req.clientId !== "") requireOwnClient(subscriber, req.clientId);
      const listViews = need("listViews", "ListViews");
      const requested = clientIdFromProto(req.clientId, "client_id");
      const views = await listViews(subscriber?.clientId ?? requested);
      return { views: views.map(viewInfoToProto) };
    },

    async *watchDeltas(req, ctx) {
      const subscriber = subscriberOf(ctx);
      if (subscriber !== undefined && req.clientId !== "") requireOwnClient(subscriber, req.clientId);
      const watch = need("watch", "WatchDeltas");
      const request = watchRequestFromProto(req);
      // The core checks the named views' owners in the same step as it subscribes, so none can change hands in between.
      const scoped = subscriber === undefined ? request : { ...request, owner: subscriber.clientId, endsAt: subscriber.expiresAt };
      const events = watch(scoped, ctx.signal);
      for await (const event of abortable(events, ctx.signal)) yield watchMessageToProto(event);
    },

    async save(_req, ctx) {
      requireService(ctx, "Save");
      const save = need("save", "Save");
      const result = await save();
      return { bytes: BigInt(result.bytes), duration: msToDuration(result.durationMs) };
    },

    async getServerInfo(_req, ctx) {
      requireService(ctx, "GetServerInfo");
      const info = await core.info();
      return {
        version,
        uptime: msToDuration(Date.now() - startedAt),
        views: info.views,
        records: BigInt(info.records),
        streams: info.streams,
        outboxPending: BigInt(info.outboxPending),
        incarnation: info.incarnation ?? "",
      };
    },

    async resyncEdges(req, ctx) {
      requireService(ctx, "ResyncEdges");
      const resync = need("resyncEdges", "ResyncEdges");
      const result = await resync(req.viewId === "" ? undefined : viewIdFromProto(req.viewId, "view_id"));
      return { added: BigInt(result.added), removed: BigInt(result.removed), updated: BigInt(result.updated) };
    },
  };
}

/**
 * Graceful stop, in-process: open streams end with UNAVAILABLE "server
 * shutting down", in-flight calls finish, readiness turns false, and a call
 * that never finishes cannot hold the stop beyond its bound.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { healthClient, sspClient, transport, type TransportName } from "../support/clients.js";
import { createFakeCore } from "../support/fake-core.js";
import { startTestServer } from "../support/test-server.js";

async function streamEnd(iterable: AsyncIterable<unknown>, onFirst: () => void): Promise<ConnectError | "ended"> {
  try {
    let first = true;
    for await (const _ of iterable) {
      if (first) onFirst();
      first = false;
    }
    return "ended";
  } catch (err) {
    return ConnectError.from(err);
  }
}

it.each<TransportName>(["grpc/2", "connect/1.1", "grpc-web/1.1", "connect/2", "grpc-web/2"])(
  "ends an open WatchDeltas stream with UNAVAILABLE over %s",
  async (name) => {
    const ts = await startTestServer(createFakeCore({ holdOpen: true }));
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const ended = streamEnd(sspClient(transport(name, ts.url)).watchDeltas({ viewIds: ["v1"] }), opened);
    await open;
    const closing = ts.server.close();
    const err = await ended;
    expect(err).toBeInstanceOf(ConnectError);
    expect([(err as ConnectError).code, (err as ConnectError).rawMessage]).toEqual([Code.Unavailable, "server shutting down"]);
    expect(await closing).toEqual({ drained: true });
  },
);

it("lets an in-flight call finish, and is not ready meanwhile", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const core = createFakeCore();
  const ts = await startTestServer({
    ...core,
    ingest: async (changes) => {
      await gate;
      return { views: [], applied: changes.length, stale: 0, edges: "none" };
    },
  });
  const call = sspClient(transport("grpc/2", ts.url)).ingest({ change: { op: Operation.DELETE, id: "a:1" } });
  await new Promise((r) => setTimeout(r, 50));
  const closing = ts.server.close();
  const readiness = await ts.server.readiness();
  expect(readiness.ready).toBe(false);
  expect(readiness.checks.server).toEqual({ ok: false, detail: "shutting down" });
  release();
  expect((await call).edges).toBe(0);
  expect(await closing).toEqual({ drained: true });
});

it("gives up waiting after the shutdown timeout", async () => {
  const ts = await startTestServer(
    { ...createFakeCore(), save: () => new Promise(() => undefined) },
    { shutdownTimeoutMs: 200 },
  );
  const call = sspClient(transport("grpc/2", ts.url))
    .save({})
    .catch((e: unknown) => ConnectError.from(e));
  await new Promise((r) => setTimeout(r, 50));
  const started = performance.now();
  expect(await ts.server.close()).toEqual({ drained: false });
  expect(performance.now() - started).toBeLessThan(1000);
  expect(await call).toBeInstanceOf(ConnectError);
  expect(ts.logs.some((l) => l.msg === "shutdown timeout: closed connections with calls still in flight")).toBe(true);
});

it("refuses new connections once stopped", async () => {
  const ts = await startTestServer(createFakeCore());
  await ts.server.close();
  await expect(healthClient(transport("grpc/2", ts.url)).check({})).rejects.toThrow();
});

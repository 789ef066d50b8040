/**
 * The real entry point as a process: a bad configuration stops the start with
 * one clear line and a non-zero exit; SIGTERM during an open stream ends the
 * stream with a proper status and the process exits 0 within the bound.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { bearer, healthClient, sspClient, transport } from "../support/clients.js";
import { spawnSsp } from "../support/spawn-ssp.js";

const BASE = { LISTEN_ADDR: "127.0.0.1:0", SURREALDB_URL: "mem://", LOG_LEVEL: "info" };

// Every variable's validation is unit-tested in src/config.test.ts; here, that
// the process turns a bad value into one line and a non-zero exit.
describe.concurrent("configuration errors", () => {
  it.each([
    ["no secret and no dev flag", { LISTEN_ADDR: "127.0.0.1:0" }, /^ssp: invalid configuration: SPOOKY_AUTH_SECRET is not set: /],
    ["a bad port", { ...BASE, SPOOKY_INSECURE_DEV: "1", LISTEN_ADDR: "127.0.0.1:99999" }, /^ssp: invalid configuration: LISTEN_ADDR must be host:port/],
  ])("%s: one line on stderr, exit 2", async (_label, env, line) => {
    const ssp = spawnSsp(env);
    expect(await ssp.exited).toBe(2);
    expect(ssp.stderr().trimEnd().split("\n")).toHaveLength(1);
    expect(ssp.stderr()).toMatch(line);
    expect(ssp.stdout()).toBe("");
  });
});

describe("a running process", () => {
  it("warns loudly in insecure dev mode and serves without a token", async () => {
    const ssp = spawnSsp({ ...BASE, SPOOKY_INSECURE_DEV: "1" });
    try {
      const warning = await ssp.waitForLog(/INSECURE DEV MODE/);
      expect(warning.level).toBe("warn");
      const started = await ssp.waitForLog(/^SSP listening on /);
      const info = await sspClient(transport("grpc/2", `http://${String(started.address)}`)).getServerInfo({});
      expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      ssp.child.kill("SIGTERM");
      expect(await ssp.exited).toBe(0);
    }
  });

  it("on SIGTERM ends an open stream with UNAVAILABLE and exits 0 within the bound", async () => {
    const ssp = spawnSsp({ ...BASE, SPOOKY_AUTH_SECRET: "s3cret", SSP_SHUTDOWN_TIMEOUT_MS: "3000" });
    const started = await ssp.waitForLog(/^SSP listening on /);
    const url = `http://${String(started.address)}`;
    // The empty core has no WatchDeltas yet; grpc health Watch is a server stream too.
    const stream = healthClient(transport("grpc/2", url)).watch({ service: "" }, { headers: bearer("s3cret") });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value?.status).toBe(Status.SERVING);
    const unauthenticated = await sspClient(transport("grpc/2", url))
      .getServerInfo({})
      .catch((e: unknown) => ConnectError.from(e).code);
    expect(unauthenticated).toBe(Code.Unauthenticated);

    const signalled = performance.now();
    ssp.child.kill("SIGTERM");
    const end = await it.next().then(
      (r) => (r.done === true ? "ended without status" : "another message"),
      (e: unknown) => ConnectError.from(e),
    );
    expect(end).toBeInstanceOf(ConnectError);
    expect([(end as ConnectError).code, (end as ConnectError).rawMessage]).toEqual([Code.Unavailable, "server shutting down"]);
    expect(await ssp.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(3000 + 2000);
    const logs = ssp.stdout().trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const msgs = logs.map((l) => l.msg);
    expect(msgs.indexOf("shutting down")).toBeGreaterThan(-1);
    // "stopped" comes after the core closed: the process did not just run dry.
    expect(msgs.at(-1)).toBe("stopped");
    expect(logs.find((l) => l.method === "grpc.health.v1.Health/Watch")).toMatchObject({ code: "UNAVAILABLE" });
    expect(ssp.stdout()).not.toContain("s3cret");
  });
});

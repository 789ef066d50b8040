/**
 * The real entry point wires subscriber tokens from its configuration: with
 * SSP_SUBSCRIBER_JWT_SECRET and SSP_SUBSCRIBER_JWKS_FILE set, a token of either
 * kind reaches its own client's views and nothing else, and the start line says
 * so; a JWKS key it could never use stops the start.
 */
import { writeFile } from "node:fs/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { bearer, sspClient, transport } from "../support/clients.js";
import { spawnSsp } from "../support/spawn-ssp.js";
import { makeTestKeys } from "../support/tokens.js";

const SECRET = "service secret for the process";
const BASE = { LISTEN_ADDR: "127.0.0.1:0", SURREALDB_URL: "mem://", LOG_LEVEL: "info", SPOOKY_AUTH_SECRET: SECRET };

it("serves subscriber tokens configured by environment", { timeout: 60_000 }, async () => {
  const keys = await makeTestKeys();
  const ssp = spawnSsp({ ...BASE, SSP_SUBSCRIBER_JWT_SECRET: keys.hs256Secret, SSP_SUBSCRIBER_JWKS_FILE: keys.jwksFile, SSP_SUBSCRIBER_AUDIENCE: "ssp" });
  try {
    const started = await ssp.waitForLog(/^SSP listening on /);
    expect(started.auth).toBe("bearer + subscriber tokens");
    const client = sspClient(transport("grpc/2", `http://${String(started.address)}`));
    await client.registerView({ id: "mine", surql: "SELECT * FROM user", clientId: "alice" }, { headers: bearer(SECRET) });
    await client.registerView({ id: "theirs", surql: "SELECT * FROM user", clientId: "bob" }, { headers: bearer(SECRET) });
    const code = (p: Promise<unknown>) => p.then(() => "OK", (e: unknown) => Code[ConnectError.from(e).code]);
    for (const alg of ["HS256", "EdDSA"] as const) {
      const headers = bearer(await keys.token("alice", { alg, claims: { aud: "ssp" } }));
      expect(await code(client.getView({ id: "mine" }, { headers }))).toBe("OK");
      expect(await code(client.getView({ id: "theirs" }, { headers }))).toBe("PermissionDenied");
      expect(await code(client.getServerInfo({}, { headers }))).toBe("PermissionDenied");
      const noAudience = bearer(await keys.token("alice", { alg }));
      expect(await code(client.getView({ id: "mine" }, { headers: noAudience }))).toBe("Unauthenticated");
    }
  } finally {
    ssp.child.kill("SIGTERM");
    expect(await ssp.exited).toBe(0);
  }
});

it("refuses to start with a JWKS key it could never use", { timeout: 60_000 }, async () => {
  const keys = await makeTestKeys();
  await writeFile(keys.jwksFile, JSON.stringify({ keys: [{ kty: "EC", crv: "P-384", x: "AA", y: "AA" }] }));
  const ssp = spawnSsp({ ...BASE, SSP_SUBSCRIBER_JWKS_FILE: keys.jwksFile });
  expect(await ssp.exited).toBe(2);
  expect(ssp.stderr()).toMatch(/^ssp: invalid configuration: SSP_SUBSCRIBER_JWKS_FILE holds an unusable key: JWKS key 0 is not an Ed25519, P-256 or RSA key/);
  expect(ssp.stderr().trimEnd().split("\n")).toHaveLength(1);
});

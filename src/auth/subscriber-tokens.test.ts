import { describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { hs256WithPublicKeyText, makeTestKeys, unsignedToken } from "../../test/support/tokens.js";
import { createSubscriberTokenVerifier, type SubscriberTokenOptions } from "./subscriber-tokens.js";

const keys = await makeTestKeys();
const BOTH: SubscriberTokenOptions = { hs256Secret: keys.hs256Secret, jwks: keys.jwks as never, clientClaim: "sub", clockSkewS: 30 };

async function refusal(options: SubscriberTokenOptions, token: string): Promise<{ code: unknown; message: string }> {
  const verifier = await createSubscriberTokenVerifier(options);
  return verifier.verify(token).then(
    () => ({ code: "accepted", message: "" }),
    (err: Error & { code?: unknown }) => ({ code: err.code, message: err.message }),
  );
}

describe("subscriber token verification", () => {
  it.each(["HS256", "EdDSA", "ES256", "RS256"] as const)("accepts a %s token and names its client and expiry (plus skew)", async (alg) => {
    const verifier = await createSubscriberTokenVerifier(BOTH);
    const exp = Math.floor(Date.now() / 1000) + 600;
    await expect(verifier.verify(await keys.token("alice", { alg, exp }))).resolves.toEqual({
      kind: "subscriber",
      clientId: "alice",
      expiresAt: (exp + 30) * 1000,
    });
  });

  it("refuses expired tokens, bad signatures and unaccepted algorithms as UNAUTHENTICATED, never quoting the token", async () => {
    const cases: [string, SubscriberTokenOptions, string, string][] = [
      ["expired", BOTH, await keys.token("alice", { ttlS: -120 }), "subscriber token expired"],
      ["wrong secret", BOTH, await keys.token("alice", { secret: "x".repeat(40) }), "subscriber token signature is invalid"],
      ["alg none", BOTH, unsignedToken("alice"), 'subscriber token algorithm "none" is not accepted (accepted: HS256, EdDSA, Ed25519, ES256, RS256)'],
      ["HS256 keyed with the public key text", BOTH, await hs256WithPublicKeyText("alice", keys.publicKeyPem), "subscriber token signature is invalid"],
      [
        "HS256 when only a JWKS is configured",
        { ...BOTH, hs256Secret: undefined },
        await hs256WithPublicKeyText("alice", keys.publicKeyPem),
        'subscriber token algorithm "HS256" is not accepted (accepted: EdDSA, Ed25519, ES256, RS256)',
      ],
      ["EdDSA when only a secret is configured", { ...BOTH, jwks: undefined }, await keys.token("alice", { alg: "EdDSA" }), 'subscriber token algorithm "EdDSA" is not accepted (accepted: HS256)'],
      ["not a JWT", BOTH, "a.b.c", "malformed subscriber token: expected a signed JWT (header.payload.signature) with an `alg`"],
      ["no client id", BOTH, await keys.token("", {}), 'subscriber token has no client id: claim "sub" must be a non-empty string'],
    ];
    for (const [label, options, token, message] of cases) {
      const result = await refusal(options, token);
      expect({ label, ...result }).toEqual({ label, code: "UNAUTHENTICATED", message });
      for (const part of token.split(".")) if (part.length > 8) expect(result.message).not.toContain(part);
    }
  });

  it("requires exp", async () => {
    const noExp = await new SignJWT({ sub: "alice" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(keys.hs256Secret));
    expect(await refusal(BOTH, noExp)).toEqual({ code: "UNAUTHENTICATED", message: 'subscriber token refused: claim "exp" failed its check (missing)' });
  });

  it("tolerates the configured clock skew and no more", async () => {
    const verifier = await createSubscriberTokenVerifier({ ...BOTH, clockSkewS: 30 });
    await expect(verifier.verify(await keys.token("alice", { ttlS: -10 }))).resolves.toMatchObject({ clientId: "alice" });
    expect(await refusal({ ...BOTH, clockSkewS: 30 }, await keys.token("alice", { ttlS: -45 }))).toMatchObject({ message: "subscriber token expired" });
    expect(await refusal({ ...BOTH, clockSkewS: 0 }, await keys.token("alice", { ttlS: -2 }))).toMatchObject({ message: "subscriber token expired" });
  });

  it("checks aud and iss when configured, and reads the client id from the configured claim", async () => {
    const options = { ...BOTH, audience: "ssp", issuer: "https://auth.example", clientClaim: "app_client" };
    const verifier = await createSubscriberTokenVerifier(options);
    const good = await keys.token("ignored", { alg: "ES256", claims: { aud: "ssp", iss: "https://auth.example", app_client: "bob" } });
    await expect(verifier.verify(good)).resolves.toMatchObject({ clientId: "bob" });
    const wrongAud = await keys.token("x", { claims: { aud: "other", iss: "https://auth.example", app_client: "bob" } });
    expect(await refusal(options, wrongAud)).toEqual({ code: "UNAUTHENTICATED", message: 'subscriber token refused: claim "aud" failed its check (check_failed)' });
    const noIss = await keys.token("x", { claims: { aud: "ssp", app_client: "bob" } });
    expect(await refusal(options, noIss)).toEqual({ code: "UNAUTHENTICATED", message: 'subscriber token refused: claim "iss" failed its check (missing)' });
  });

  it("refuses at start a JWKS key it could never use", async () => {
    await expect(createSubscriberTokenVerifier({ ...BOTH, jwks: { keys: [{ kty: "EC", crv: "P-384", x: "AA", y: "AA" }] } })).rejects.toThrow(
      "JWKS key 0 is not an Ed25519, P-256 or RSA key",
    );
    await expect(createSubscriberTokenVerifier({ ...BOTH, jwks: { keys: [{ kty: "OKP", crv: "Ed25519", x: "%%%" }] } })).rejects.toThrow(
      "JWKS key 0 cannot be used",
    );
  });
});

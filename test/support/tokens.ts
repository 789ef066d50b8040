/**
 * Subscriber-token fixtures, made at test time with jose: fresh key pairs for
 * each kind the JWKS accepts, the JWKS file holding their public halves, and
 * tokens signed right, wrong, and in the ways attackers try (`alg: none`,
 * HS256 keyed with the public key's text).
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWTPayload } from "jose";

export type AsymmetricAlg = "EdDSA" | "ES256" | "RS256";

export interface TestKeys {
  /** The HS256 secret (SSP_SUBSCRIBER_JWT_SECRET). */
  readonly hs256Secret: string;
  /** Path of a JWKS file with the public key of each asymmetric pair (SSP_SUBSCRIBER_JWKS_FILE). */
  readonly jwksFile: string;
  readonly jwks: { keys: Record<string, unknown>[] };
  /** A token for `clientId` valid for `ttlS` seconds (negative: already expired). */
  token(clientId: string, options?: TokenOptions): Promise<string>;
  /** The PEM text of the EdDSA public key, for the HS256 key-confusion attack. */
  readonly publicKeyPem: string;
}

export interface TokenOptions {
  readonly alg?: "HS256" | AsymmetricAlg;
  readonly ttlS?: number;
  /** Claims added or overridden. */
  readonly claims?: JWTPayload & Record<string, unknown>;
  /** Sign HS256 with this secret instead of the configured one. */
  readonly secret?: string;
  /** `exp` as given, in seconds since the epoch. */
  readonly exp?: number;
}

export async function makeTestKeys(): Promise<TestKeys> {
  const hs256Secret = `hs256-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const pairs = new Map<AsymmetricAlg, CryptoKey>();
  const keys: Record<string, unknown>[] = [];
  let publicKeyPem = "";
  for (const alg of ["EdDSA", "ES256", "RS256"] as const) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    pairs.set(alg, privateKey);
    keys.push({ ...(await exportJWK(publicKey)), kid: alg, alg, use: "sig" });
    if (alg === "EdDSA") publicKeyPem = await exportSPKI(publicKey);
  }
  const dir = await mkdtemp(path.join(tmpdir(), "ssp-jwks-"));
  const jwksFile = path.join(dir, "jwks.json");
  const jwks = { keys };
  await writeFile(jwksFile, JSON.stringify(jwks));
  return {
    hs256Secret,
    jwksFile,
    jwks,
    publicKeyPem,
    async token(clientId, options = {}) {
      const alg = options.alg ?? "HS256";
      const exp = options.exp ?? Math.floor(Date.now() / 1000) + (options.ttlS ?? 3600);
      const jwt = new SignJWT({ sub: clientId, exp, ...options.claims }).setIssuedAt();
      if (alg === "HS256") {
        return jwt.setProtectedHeader({ alg }).sign(new TextEncoder().encode(options.secret ?? hs256Secret));
      }
      return jwt.setProtectedHeader({ alg, kid: alg }).sign(pairs.get(alg)!);
    },
  };
}

/** `alg: none`: no signature at all. */
export function unsignedToken(clientId: string): string {
  return new UnsecuredJWT({ sub: clientId, exp: Math.floor(Date.now() / 1000) + 3600 }).encode();
}

/** HS256 keyed with the text of a public key: the classic algorithm-confusion attack. */
export function hs256WithPublicKeyText(clientId: string, publicKeyText: string): Promise<string> {
  return new SignJWT({ sub: clientId, exp: Math.floor(Date.now() / 1000) + 3600 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(publicKeyText));
}

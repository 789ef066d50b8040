/**
 * Subscriber tokens: JWTs an app's backend mints for its end users, verified
 * here with `jose` against keys from configuration only (an HS256 secret
 * and/or a local JWKS of public keys; nothing is fetched over the network).
 *
 * Invariants: the algorithm is pinned per key kind (HS256 only with the
 * secret; EdDSA, ES256, RS256 only with the JWKS), so `alg: none` and
 * HS256-signed-with-a-public-key are refused; `exp` is required; `aud` and
 * `iss` are checked when configured; a refusal is a SubscriberTokenError whose
 * message names the reason and never holds the token.
 */
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyOptions,
} from "jose";
import { SubscriberTokenError, type SubscriberPrincipal, type SubscriberTokenVerifier } from "./principal.js";

export interface SubscriberTokenOptions {
  /** Shared secret for HS256 tokens (SSP_SUBSCRIBER_JWT_SECRET). */
  readonly hs256Secret?: string | undefined;
  /** Public keys for EdDSA, ES256 and RS256 tokens (the parsed SSP_SUBSCRIBER_JWKS_FILE). */
  readonly jwks?: JSONWebKeySet | undefined;
  /** The claim holding the client id (SSP_SUBSCRIBER_CLIENT_CLAIM, default `sub`). */
  readonly clientClaim: string;
  readonly audience?: string | undefined;
  readonly issuer?: string | undefined;
  /** Tolerance for `exp` and `nbf`, in seconds (SSP_SUBSCRIBER_CLOCK_SKEW_S). */
  readonly clockSkewS: number;
}

const SYMMETRIC = ["HS256"] as const;
/** `Ed25519` is the fully-specified name (RFC 9864) for what `EdDSA` means with an Ed25519 key. */
const ASYMMETRIC = ["EdDSA", "Ed25519", "ES256", "RS256"] as const;

export async function createSubscriberTokenVerifier(options: SubscriberTokenOptions): Promise<SubscriberTokenVerifier> {
  if (options.hs256Secret === undefined && options.jwks === undefined) {
    throw new Error("subscriber tokens need an HS256 secret or a JWKS");
  }
  // Imported once: jose would otherwise import the raw secret on every verify.
  const secret =
    options.hs256Secret === undefined
      ? undefined
      : await crypto.subtle.importKey("raw", new TextEncoder().encode(options.hs256Secret), { name: "HMAC", hash: "SHA-256" }, false, [
          "verify",
        ]);
  if (options.jwks !== undefined) await checkKeys(options.jwks);
  const jwks = options.jwks === undefined ? undefined : createLocalJWKSet(options.jwks);
  const accepted: string[] = [...(secret === undefined ? [] : SYMMETRIC), ...(jwks === undefined ? [] : ASYMMETRIC)];
  const claims: JWTVerifyOptions = {
    requiredClaims: ["exp"],
    clockTolerance: options.clockSkewS,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
  };

  return {
    async verify(token: string): Promise<SubscriberPrincipal> {
      const alg = headerAlgorithm(token);
      let payload;
      try {
        if (secret !== undefined && alg === "HS256") {
          ({ payload } = await jwtVerify(token, secret, { ...claims, algorithms: [...SYMMETRIC] }));
        } else if (jwks !== undefined && (ASYMMETRIC as readonly string[]).includes(alg)) {
          ({ payload } = await jwtVerify(token, jwks, { ...claims, algorithms: [...ASYMMETRIC] }));
        } else {
          throw new SubscriberTokenError(
            `subscriber token algorithm ${JSON.stringify(alg.slice(0, 20))} is not accepted (accepted: ${accepted.join(", ")})`,
          );
        }
      } catch (err) {
        throw refusal(err);
      }
      const clientId = payload[options.clientClaim];
      if (typeof clientId !== "string" || clientId === "") {
        throw new SubscriberTokenError(`subscriber token has no client id: claim ${JSON.stringify(options.clientClaim)} must be a non-empty string`);
      }
      // requiredClaims guarantees a numeric exp.
      return { kind: "subscriber", clientId, expiresAt: ((payload.exp as number) + options.clockSkewS) * 1000 };
    },
  };
}

/** Imports every key once at start, so a broken key stops the service rather than refusing every token later. */
async function checkKeys(jwks: JSONWebKeySet): Promise<void> {
  for (const [i, key] of jwks.keys.entries()) {
    const alg = key.alg ?? defaultAlgorithm(key);
    if (alg === undefined || !(ASYMMETRIC as readonly string[]).includes(alg)) {
      throw new Error(`JWKS key ${i} is not an Ed25519, P-256 or RSA key for ${ASYMMETRIC.join(", ")}`);
    }
    try {
      await importJWK(key, alg);
    } catch (err) {
      throw new Error(`JWKS key ${i} cannot be used: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function defaultAlgorithm(key: JWK): string | undefined {
  if (key.kty === "OKP" && key.crv === "Ed25519") return "EdDSA";
  if (key.kty === "EC" && key.crv === "P-256") return "ES256";
  if (key.kty === "RSA") return "RS256";
  return undefined;
}

function headerAlgorithm(token: string): string {
  try {
    const { alg } = decodeProtectedHeader(token);
    if (typeof alg === "string") return alg;
  } catch {
    // Reported below, the same way for every malformed header.
  }
  throw new SubscriberTokenError("malformed subscriber token: expected a signed JWT (header.payload.signature) with an `alg`");
}

/** One message per reason; jose's own messages are not passed on, as some quote token contents. */
function refusal(err: unknown): SubscriberTokenError {
  if (err instanceof SubscriberTokenError) return err;
  if (err instanceof errors.JWTExpired) return new SubscriberTokenError("subscriber token expired", "TOKEN_EXPIRED");
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new SubscriberTokenError(`subscriber token refused: claim ${JSON.stringify(err.claim)} failed its check (${err.reason})`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new SubscriberTokenError("subscriber token signature is invalid");
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new SubscriberTokenError("no configured key matches the subscriber token (check its `kid` and `alg`)");
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new SubscriberTokenError("subscriber token algorithm is not accepted");
  return new SubscriberTokenError("malformed subscriber token");
}

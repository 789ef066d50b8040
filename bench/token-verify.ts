// What verifying a subscriber token costs, once per stream (the request gate
// verifies it when WatchDeltas opens; nothing is verified per message): the
// real verifier from src/auth on tokens of each accepted algorithm, with keys
// generated here. Target (issue 17): ≤ 0.2 ms per stream.
//
//   node bench/token-verify.ts                      (a few seconds)
//   TOKEN_BENCH_ITERATIONS=20000 node bench/token-verify.ts

// A variable specifier: tsc does not resolve it, and Node loads the .ts as written.
const hooks = "./lib/ts-hooks.ts";
await import(hooks);

const { createSubscriberTokenVerifier } = await import("../src/auth/index.js");
const { makeTestKeys } = await import("../test/support/tokens.js");

const iterations = Number(process.env.TOKEN_BENCH_ITERATIONS ?? 5000);
const keys = await makeTestKeys();
const verifier = await createSubscriberTokenVerifier({ hs256Secret: keys.hs256Secret, jwks: keys.jwks as never, clientClaim: "sub", clockSkewS: 30 });

console.log(`subscriber token verification, ${iterations} tokens per algorithm (Node ${process.version})`);
console.log("alg      median ms   p99 ms   mean ms");
for (const alg of ["HS256", "EdDSA", "ES256", "RS256"] as const) {
  // Distinct tokens, as distinct streams would bring (no cache can help).
  const tokens = await Promise.all(Array.from({ length: iterations }, (_, i) => keys.token(`client-${i}`, { alg })));
  for (const token of tokens.slice(0, 200)) await verifier.verify(token);
  const times: number[] = [];
  for (const token of tokens) {
    const started = performance.now();
    await verifier.verify(token);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  console.log(`${alg.padEnd(8)} ${at(0.5).toFixed(4).padStart(9)}  ${at(0.99).toFixed(4).padStart(7)}  ${mean.toFixed(4).padStart(8)}`);
}

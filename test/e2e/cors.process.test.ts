/**
 * SSP_CORS_ORIGINS through the real entry point: the process reads it, names
 * the origins in its start line, and answers a preflight from a listed origin
 * (without a credential) while another origin gets no CORS header.
 */
import http from "node:http";
import { expect, it } from "vitest";
import { spawnSsp } from "../support/spawn-ssp.js";

const APP = "https://app.example.com";

function preflight(url: string, origin: string): Promise<{ status: number; allowOrigin: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL("/spooky.ssp.v1.StreamProcessorService/WatchDeltas", url),
      { method: "OPTIONS", agent: false, headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, allowOrigin: res.headers["access-control-allow-origin"] as string | undefined }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

it("SSP_CORS_ORIGINS reaches the server: a listed origin's preflight is answered, another's is not", async () => {
  const ssp = spawnSsp({
    LISTEN_ADDR: "127.0.0.1:0",
    SURREALDB_URL: "mem://",
    LOG_LEVEL: "info",
    SPOOKY_AUTH_SECRET: "s3cret",
    SSP_CORS_ORIGINS: `${APP}, http://localhost:5173`,
  });
  try {
    const started = await ssp.waitForLog(/^SSP listening on /);
    expect(started.cors_origins).toEqual([APP, "http://localhost:5173"]);
    const url = `http://${String(started.address)}`;
    expect(await preflight(url, APP)).toEqual({ status: 204, allowOrigin: APP });
    expect(await preflight(url, "https://elsewhere.example")).toEqual({ status: 403, allowOrigin: undefined });
  } finally {
    ssp.child.kill("SIGTERM");
    expect(await ssp.exited).toBe(0);
  }
});

/**
 * The browser example in a real browser: headless Chromium (Debian's package,
 * driven by puppeteer-core, nothing downloaded) loads the page from a static
 * server on another port than SSP, so every call is a real cross-origin request
 * that needs SSP's CORS answer. The page follows a view with WatchDeltas
 * (Connect protocol over fetch) using a subscriber token; the test ingests over
 * gRPC and reads the page's DOM.
 *
 * Also: a page holding another client's token is refused (PERMISSION_DENIED,
 * shown on the page, no member rendered), and a page served from an origin not
 * in SSP_CORS_ORIGINS cannot read the stream at all.
 *
 * No Chromium is a failure, never a skip: `make test` installs it when it runs
 * as root; otherwise the one-line error says what to install.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBrowserExample } from "../../examples/browser/build.js";
import { serveDirectory, type StaticServer } from "../../examples/browser/serve.js";
import { Operation } from "../../gen/spooky/ssp/v1/ssp_pb.js";
import { createSubscriberTokenVerifier } from "../../src/auth/index.js";
import { bearer, sspClient, transport } from "../support/clients.js";
import { startRealCore, type RealCore } from "../support/real-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { makeTestKeys, type TestKeys } from "../support/tokens.js";

const CHROMIUM = "/usr/bin/chromium";
const SECRET = "service secret for the browser test";
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Generous: a loaded 2-core machine may take seconds per step. */
const DOM_TIMEOUT_MS = 30_000;

let keys: TestKeys;
let real: RealCore;
let ts: TestServer;
let bundleDir: string;
let allowedSite: StaticServer;
let otherSite: StaticServer;
let browser: Browser | undefined;

const service = () => sspClient(transport("grpc/2", ts.url));

const MISSING = `${CHROMIUM} not found: install Debian's Chromium with \`apt-get install chromium\` (make test does it when run as root)`;

beforeAll(async () => {
  // Without Chromium each test fails (counted as failed, not skipped) with MISSING, from beforeEach.
  if (!existsSync(CHROMIUM)) return;
  bundleDir = await mkdtemp(path.join(tmpdir(), "ssp-browser-example-"));
  await buildBrowserExample(bundleDir);
  // Two origins serving the same page; only the first is allowed by SSP.
  allowedSite = await serveDirectory(bundleDir);
  otherSite = await serveDirectory(bundleDir);
  keys = await makeTestKeys();
  real = await startRealCore();
  const subscriberTokens = await createSubscriberTokenVerifier({ hs256Secret: keys.hs256Secret, jwks: undefined, clientClaim: "sub", clockSkewS: 30 });
  ts = await startTestServer(real.core, { secret: SECRET, corsOrigins: [allowedSite.origin], server: { subscriberTokens } });
  const headers = bearer(SECRET);
  await service().registerView({ id: "alice-team", surql: "SELECT * FROM user WHERE team = 'a'", clientId: "alice" }, { headers });
  await service().registerView({ id: "bob-team", surql: "SELECT * FROM user WHERE team = 'b'", clientId: "bob" }, { headers });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    timeout: 60_000,
    protocolTimeout: 60_000,
  });
}, 180_000);

beforeEach(() => {
  if (!existsSync(CHROMIUM)) throw new Error(MISSING);
});

afterAll(async () => {
  await browser?.close();
  await ts?.close();
  await real?.dispose();
  await allowedSite?.close();
  await otherSite?.close();
  if (bundleDir !== undefined) await rm(bundleDir, { recursive: true, force: true });
});

/** Opens the example page with its inputs in the URL fragment; collects the console lines. */
async function openPage(origin: string, fragment: Record<string, string>): Promise<{ page: Page; console: string[] }> {
  const page = await browser!.newPage();
  page.setDefaultTimeout(DOM_TIMEOUT_MS);
  page.setDefaultNavigationTimeout(DOM_TIMEOUT_MS);
  const console: string[] = [];
  page.on("console", (message) => console.push(message.text()));
  await page.goto(`${origin}/#${new URLSearchParams({ server: ts.url, ...fragment }).toString()}`);
  return { page, console };
}

/** The rendered members of a view, as `id vN`, in page order. */
function members(page: Page, view: string): Promise<string[]> {
  return page.$$eval(`section[data-view="${view}"] li`, (items) => items.map((li) => li.textContent ?? ""));
}

async function waitForMembers(page: Page, view: string, expected: string[]): Promise<void> {
  // A string: it runs in the page, where `document` is (this file is compiled without the DOM).
  const selector = JSON.stringify(`section[data-view="${view}"] li`);
  await page.waitForFunction(
    `JSON.stringify([...document.querySelectorAll(${selector})].map((li) => li.textContent)) === ${JSON.stringify(JSON.stringify(expected))}`,
    { timeout: DOM_TIMEOUT_MS, polling: 50 },
  );
}

async function statusOf(page: Page): Promise<{ state: string; text: string }> {
  return page.$eval("#status", (el) => ({ state: el.getAttribute("data-state") ?? "", text: el.textContent ?? "" }));
}

/** Waits until the page has connected or failed, then checks it is `state` (a failure shows its message at once). */
async function waitForState(page: Page, state: string): Promise<{ state: string; text: string }> {
  await page.waitForFunction(`!["idle", "connecting"].includes(document.querySelector("#status")?.getAttribute("data-state"))`, {
    timeout: DOM_TIMEOUT_MS,
    polling: 50,
  });
  const status = await statusOf(page);
  expect(status.state, status.text).toBe(state);
  return status;
}

describe("the browser example, in headless Chromium", { timeout: 120_000 }, () => {
  it("follows a view with a subscriber token across origins and renders every delta; following the client renders its snapshot", async () => {
    const { page } = await openPage(allowedSite.origin, { token: await keys.token("alice"), views: "alice-team" });
    await waitForState(page, "streaming");
    expect(await members(page, "alice-team")).toEqual([]);

    const headers = bearer(SECRET);
    await service().ingestBatch(
      {
        changes: [
          { op: Operation.CREATE, id: "user:1", record: { team: "a", name: "Ada" } as never },
          { op: Operation.CREATE, id: "user:2", record: { team: "a", name: "Brendan" } as never },
          { op: Operation.CREATE, id: "user:3", record: { team: "b", name: "Grace" } as never },
        ],
      },
      { headers },
    );
    await waitForMembers(page, "alice-team", ["user:1 v1", "user:2 v1"]);

    await service().ingest({ change: { op: Operation.UPDATE, id: "user:1", record: { team: "a", name: "Ada L." } as never } }, { headers });
    await service().ingest({ change: { op: Operation.DELETE, id: "user:2" } }, { headers });
    await service().ingest({ change: { op: Operation.UPDATE, id: "user:3", record: { team: "a", name: "Grace" } as never } }, { headers });
    await waitForMembers(page, "alice-team", ["user:1 v2", "user:3 v2"]);
    expect(await statusOf(page)).toEqual({ state: "streaming", text: "Streaming 1 view(s)." });
    // Only the view asked for, never bob's.
    expect(await page.$$eval("section", (sections) => sections.map((s) => s.getAttribute("data-view")))).toEqual(["alice-team"]);

    await mkdir(path.join(ROOT, ".tmp"), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, ".tmp", "browser-watch-deltas.png") });
    await page.close();

    // Following the client instead: its views' snapshots, members and all.
    const { page: byClient } = await openPage(allowedSite.origin, { token: await keys.token("alice"), client: "alice" });
    await waitForState(byClient, "streaming");
    await waitForMembers(byClient, "alice-team", ["user:1 v2", "user:3 v2"]);
    expect(await byClient.$$eval("section", (sections) => sections.map((s) => s.getAttribute("data-view")))).toEqual(["alice-team"]);
    await byClient.close();
  });

  it("shows PERMISSION_DENIED for a token of another client, and renders nothing of the view", async () => {
    const { page } = await openPage(allowedSite.origin, { token: await keys.token("bob"), views: "alice-team" });
    const status = await waitForState(page, "error");
    expect(status.text).toMatch(/^PERMISSION_DENIED: /);
    expect(await page.$$("section")).toHaveLength(0);
    await page.close();
  });

  it("lets a page from an origin not in SSP_CORS_ORIGINS read nothing", async () => {
    const { page, console } = await openPage(otherSite.origin, { token: await keys.token("alice"), views: "alice-team" });
    const status = await waitForState(page, "error");
    // fetch itself fails: the browser refused the preflight, so no SSP status reached the script.
    expect(status.text).not.toMatch(/PERMISSION_DENIED|UNAUTHENTICATED/);
    expect(await page.$$("section")).toHaveLength(0);
    expect(console.join("\n")).toMatch(/blocked by CORS policy/);
    await page.close();
  });
});

/**
 * The one-port listener routes by the first bytes of a connection, however
 * they are split across packets, and HTTP/1.1 keep-alive works after routing.
 */
import net from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFakeCore } from "../support/fake-core.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer(createFakeCore());
});
afterAll(() => ts.close());

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(ts.server.port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

function readUntil(socket: net.Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (pattern.test(text)) {
        socket.off("data", onData);
        resolve(text);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

const GET_LIVE = "GET /health/live HTTP/1.1\r\nHost: ssp\r\n\r\n";

it("routes an HTTP/1.1 request that arrives one byte at a time", async () => {
  const socket = await connect();
  const answer = readUntil(socket, /\{"status":"live"\}/);
  for (const byte of Buffer.from(GET_LIVE)) {
    socket.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
  expect(await answer).toMatch(/^HTTP\/1\.1 200 OK/);
  socket.destroy();
});

it("serves several HTTP/1.1 requests on one keep-alive connection", async () => {
  const socket = await connect();
  for (let i = 0; i < 3; i++) {
    const answer = readUntil(socket, /\{"status":"live"\}/);
    socket.write(GET_LIVE);
    expect(await answer).toMatch(/^HTTP\/1\.1 200 OK/);
  }
  socket.destroy();
});

it("answers an HTTP/2 client whose preface arrives in pieces", async () => {
  // Split the preface at every position: the listener must wait for enough bytes.
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  for (const cut of [1, 3, 14, 23]) {
    const socket = await connect();
    // An empty SETTINGS frame; the server answers with its own SETTINGS frame (type 4).
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
    const answer = new Promise<Buffer>((resolve) => socket.once("data", resolve));
    socket.write(preface.subarray(0, cut));
    await new Promise((r) => setTimeout(r, 10));
    socket.write(Buffer.concat([preface.subarray(cut), settings]));
    const frame = await answer;
    expect(frame[3]).toBe(4);
    socket.destroy();
  }
});

/**
 * SSP_REFLECTION_PUBLIC through the real entry point: the process reads it and
 * the server opens reflection, and only reflection, to callers without a token.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { ServerReflection, ServerReflectionRequestSchema, type ServerReflectionResponse } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { sspClient, transport } from "../support/clients.js";
import { spawnSsp } from "../support/spawn-ssp.js";

const BASE = { LISTEN_ADDR: "127.0.0.1:0", SURREALDB_URL: "mem://", LOG_LEVEL: "info", SPOOKY_AUTH_SECRET: "s3cret" };

async function listServices(url: string): Promise<string[] | Code> {
  async function* requests() {
    yield create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } });
  }
  try {
    const answers: ServerReflectionResponse[] = [];
    for await (const answer of createClient(ServerReflection, transport("grpc/2", url)).serverReflectionInfo(requests())) answers.push(answer);
    const first = answers[0]?.messageResponse;
    return first?.case === "listServicesResponse" ? first.value.service.map((s) => s.name) : [];
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

it.each<{ value: string; env: Record<string, string>; expected: Code | "listed"; outcome: string }>([
  { value: "unset", env: {}, expected: Code.Unauthenticated, outcome: "UNAUTHENTICATED" },
  { value: "1", env: { SSP_REFLECTION_PUBLIC: "1" }, expected: "listed", outcome: "answered" },
])("SSP_REFLECTION_PUBLIC $value: reflection without a token is $outcome; GetServerInfo is UNAUTHENTICATED", async ({ env, expected }) => {
  const ssp = spawnSsp({ ...BASE, ...env });
  try {
    const started = await ssp.waitForLog(/^SSP listening on /);
    const url = `http://${String(started.address)}`;
    const listed = await listServices(url);
    expect(Array.isArray(listed) ? (listed.includes("spooky.ssp.v1.StreamProcessorService") ? "listed" : listed) : listed).toBe(expected);
    const rpc = await sspClient(transport("grpc/2", url))
      .getServerInfo({})
      .then(() => "ok", (e: unknown) => ConnectError.from(e).code);
    expect(rpc).toBe(Code.Unauthenticated);
  } finally {
    ssp.child.kill("SIGTERM");
    expect(await ssp.exited).toBe(0);
  }
});

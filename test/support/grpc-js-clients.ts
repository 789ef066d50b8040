/**
 * Stock grpc-js clients for SSP and grpc.health.v1, built the way an outside
 * service would: @grpc/proto-loader reading proto/, no generated code.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../proto");

/** A loaded client: methods are looked up by name, as dynamic grpc-js clients are. */
export type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export function grpcJsClients(port: number, channelOptions: grpc.ChannelOptions = {}): { ssp: GenericClient; health: GenericClient } {
  const definition = protoLoader.loadSync(["spooky/ssp/v1/ssp.proto", "grpc/health/v1/health.proto"], {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    spooky: { ssp: { v1: { StreamProcessorService: grpc.ServiceClientConstructor } } };
    grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
  };
  const address = `127.0.0.1:${port}`;
  return {
    ssp: new loaded.spooky.ssp.v1.StreamProcessorService(address, grpc.credentials.createInsecure(), channelOptions) as unknown as GenericClient,
    health: new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure(), channelOptions) as unknown as GenericClient,
  };
}

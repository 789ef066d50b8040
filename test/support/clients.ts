/** Connect clients over every protocol and HTTP version the server must serve. */
import { ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { StreamProcessorService } from "../../gen/spooky/ssp/v1/ssp_pb.js";

export type TransportName = "connect/1.1" | "connect/2" | "grpc-web/1.1" | "grpc-web/2" | "grpc/2";

export const TRANSPORTS: readonly TransportName[] = ["connect/1.1", "connect/2", "grpc-web/1.1", "grpc-web/2", "grpc/2"];

export function transport(name: TransportName, baseUrl: string): Transport {
  switch (name) {
    case "connect/1.1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1" });
    case "connect/2":
      return createConnectTransport({ baseUrl, httpVersion: "2" });
    case "grpc-web/1.1":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
    case "grpc-web/2":
      return createGrpcWebTransport({ baseUrl, httpVersion: "2" });
    case "grpc/2":
      return createGrpcTransport({ baseUrl });
  }
}

export function sspClient(t: Transport): Client<typeof StreamProcessorService> {
  return createClient(StreamProcessorService, t);
}

export function healthClient(t: Transport): Client<typeof Health> {
  return createClient(Health, t);
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** The error a call that must fail failed with; throws if it succeeded. */
export async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

/**
 * Hostile requests as rows of a table: each names what it sends, through which
 * client, and the exact gRPC code it must get. A new class of hostile input is
 * one more row built with one of the helpers below.
 */
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { Code, ConnectError, type CallOptions, type Client } from "@connectrpc/connect";
import type { StreamProcessorService } from "../../../gen/spooky/ssp/v1/ssp_pb.js";
import { sspClient, transport, type TransportName } from "../../support/clients.js";
import { grpcJsClients, type GenericClient } from "../../support/grpc-js-clients.js";
import { envelope, OK, rawRpc, SSP_PATH, type HttpVersion } from "../../support/raw-rpc.js";
import { AUTH, SECRET, type Target } from "./target.js";

export interface HostileCase {
  readonly name: string;
  /** The exact gRPC code the request must get. */
  readonly expected: Code;
  /** Sends the request and returns the gRPC code it got (OK, 0, for success). */
  readonly send: (target: Target) => Promise<number | undefined>;
}

type SspClient = Client<typeof StreamProcessorService>;

/** Through connect-es, over `via` (Connect, gRPC or gRPC-Web; HTTP/1.1 or 2), with the bearer token. */
export function viaConnect(
  name: string,
  expected: Code,
  call: (client: SspClient, options: CallOptions) => Promise<unknown> | AsyncIterable<unknown>,
  via: TransportName = "connect/1.1",
): HostileCase {
  return {
    name: `${name} (connect-es ${via})`,
    expected,
    async send(target) {
      try {
        const result = call(sspClient(transport(via, target.url)), { headers: AUTH });
        if (Symbol.asyncIterator in result) for await (const _ of result) break;
        else await result;
        return OK;
      } catch (err) {
        return ConnectError.from(err).code;
      }
    },
  };
}

/** Through a stock grpc-js client built from proto/ (no generated code): unary, or the first message of a stream. */
export function viaGrpcJs(name: string, expected: Code, method: string, request: object): HostileCase {
  return {
    name: `${name} (grpc-js)`,
    expected,
    send: (target) =>
      new Promise((resolve) => {
        const { ssp, health } = grpcJsClients(target.port);
        const metadata = new Metadata();
        metadata.set("authorization", `Bearer ${SECRET}`);
        const finish = (code: number) => {
          ssp.close();
          health.close();
          resolve(code);
        };
        const fn = (ssp as GenericClient)[method]!.bind(ssp);
        if (method === "WatchDeltas") {
          const stream = fn(request, metadata) as NodeJS.EventEmitter & { cancel(): void };
          stream.on("data", () => {
            stream.cancel();
            finish(OK);
          });
          stream.on("error", (err: ServiceError) => finish(err.code));
          return;
        }
        fn(request, metadata, (err: ServiceError | null) => finish(err === null ? OK : err.code));
      }),
  };
}

export interface RawCaseRequest {
  readonly method: string;
  readonly http: HttpVersion;
  readonly contentType: string;
  readonly body: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wrap the body in one frame (gRPC, gRPC-Web, Connect streams); flags default 0. */
  readonly frame?: number;
}

/** Raw bytes over a raw HTTP/1.1 or HTTP/2 (cleartext) connection, with the bearer token. */
export function viaRaw(name: string, expected: Code, req: RawCaseRequest): HostileCase {
  return {
    name: `${name} (raw HTTP/${req.http})`,
    expected,
    async send(target) {
      const answer = await rawRpc(target.url, {
        path: SSP_PATH + req.method,
        http: req.http,
        headers: { "content-type": req.contentType, ...AUTH, ...(req.http === "2" ? { te: "trailers" } : {}), ...req.headers },
        body: req.frame === undefined ? req.body : envelope(req.body, req.frame),
      });
      if (answer.httpStatus === 500) throw new Error(`HTTP 500 for ${name}: ${answer.body.toString("utf8").slice(0, 200)}`);
      return answer.code;
    },
  };
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * gRPC server reflection, `grpc.reflection.v1.ServerReflection` and its older
 * name `grpc.reflection.v1alpha.ServerReflection` (the same protocol), so that
 * `buf curl` and `grpcurl` need no .proto file. The schema is the one compiled
 * into gen/ (schema-index.ts); nothing is read at run time.
 *
 * One bidi stream answers each request in order. A question the schema cannot
 * answer (an unknown file, symbol, extension or type) gets an ErrorResponse
 * with NOT_FOUND and the stream stays open, as gRPC's own servers do; a request
 * that asks nothing gets INVALID_ARGUMENT the same way. A file answer holds the
 * file asked for first, then the files it imports that this stream has not been
 * sent yet, so a client assembling the schema gets each file once.
 *
 * Reflection needs the service credential unless SSP_REFLECTION_PUBLIC=1; the
 * request gate (auth.ts) decides that before this runs.
 */
import type { DescFile } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { abortable } from "./abortable.js";
import type { SchemaIndex } from "./schema-index.js";

/** Both versions of the service, for routing and for the auth gate. */
export const REFLECTION_SERVICES = [ReflectionV1, ReflectionV1alpha] as const;

/** A request as both versions spell it. */
export interface ReflectionRequest {
  readonly host: string;
  readonly messageRequest:
    | { readonly case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; readonly value: string }
    | { readonly case: "fileContainingExtension"; readonly value: { readonly containingType: string; readonly extensionNumber: number } }
    | { readonly case: undefined; readonly value?: undefined };
}

/** The answer to one request, as both versions spell it. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Run before a stream answers anything: throws when the caller may not read the schema. */
export type ReflectionAuthorizer = (ctx: HandlerContext) => void;

export function reflectionV1Service(index: SchemaIndex, authorize: ReflectionAuthorizer = () => {}): ServiceImpl<typeof ReflectionV1> {
  return { serverReflectionInfo: (requests, ctx) => answerEach(index, requests, ctx, authorize) };
}

export function reflectionV1alphaService(index: SchemaIndex, authorize: ReflectionAuthorizer = () => {}): ServiceImpl<typeof ReflectionV1alpha> {
  return { serverReflectionInfo: (requests, ctx) => answerEach(index, requests, ctx, authorize) };
}

/**
 * Answers one request. `sent` holds the names of the files this stream has
 * already been sent; file answers add to it.
 */
export function answer(index: SchemaIndex, request: ReflectionRequest, sent: Set<string>): ReflectionAnswer {
  const { messageRequest: ask } = request;
  switch (ask.case) {
    case "listServices":
      return { case: "listServicesResponse", value: { service: index.services.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index, index.fileByName(ask.value), sent, () => `file ${JSON.stringify(ask.value)}`);
    case "fileContainingSymbol":
      return files(index, index.fileContainingSymbol(ask.value), sent, () => `symbol ${JSON.stringify(ask.value)}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = ask.value;
      const file = index.fileContainingExtension(containingType, extensionNumber);
      return files(index, file, sent, () => `extension ${extensionNumber} of ${JSON.stringify(containingType)}`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbers(ask.value);
      if (numbers === undefined) return notFound(`message type ${JSON.stringify(ask.value)}`);
      return { case: "allExtensionNumbersResponse", value: { baseTypeName: ask.value, extensionNumber: [...numbers] } };
    }
    case undefined:
      return {
        case: "errorResponse",
        value: {
          errorCode: Code.InvalidArgument,
          errorMessage:
            "the request asks nothing: set one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services",
        },
      };
  }
}

async function* answerEach<R extends ReflectionRequest>(
  index: SchemaIndex,
  requests: AsyncIterable<R>,
  ctx: HandlerContext,
  authorize: ReflectionAuthorizer,
): AsyncIterable<{ validHost: string; originalRequest: R; messageResponse: ReflectionAnswer }> {
  authorize(ctx);
  const sent = new Set<string>();
  // A client may hold the stream open between questions; shutdown ends it.
  for await (const request of abortable(requests, ctx.signal)) {
    yield { validHost: request.host, originalRequest: request, messageResponse: answer(index, request, sent) };
  }
}

/** The file first, whether sent before or not (it was asked for), then its imports not sent yet. */
function files(index: SchemaIndex, file: DescFile | undefined, sent: Set<string>, what: () => string): ReflectionAnswer {
  if (file === undefined) return notFound(what());
  const fileDescriptorProto: Uint8Array[] = [];
  for (const [i, { name, bytes }] of index.withDependencies(file).entries()) {
    if (i > 0 && sent.has(name)) continue;
    sent.add(name);
    fileDescriptorProto.push(bytes);
  }
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
}

function notFound(what: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}

/** gRPC status code names as the gRPC spec writes them (`INVALID_ARGUMENT`). */
import { Code } from "@connectrpc/connect";

const BY_NAME = new Map<string, Code>(
  Object.values(Code)
    .filter((v): v is Code => typeof v === "number")
    .map((code) => [grpcCodeName(code), code]),
);

/** `Code.InvalidArgument` → `"INVALID_ARGUMENT"`; OK for 0. */
export function grpcCodeName(code: Code | 0): string {
  if (code === 0) return "OK";
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** `"INVALID_ARGUMENT"` (or `"invalid_argument"`) → `Code.InvalidArgument`. */
export function codeFromName(name: string): Code | undefined {
  return BY_NAME.get(name.toUpperCase());
}

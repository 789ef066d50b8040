/** Per-call values the interceptors establish for the layers inside them. */
import { createContextKey } from "@connectrpc/connect";
import type { Principal } from "../auth/index.js";

/** The call's request id: the caller's `x-request-id`, or one generated for it. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

/**
 * Who the call is made by, set by the request gate (auth.ts). Undefined when
 * no gate ran; handlers refuse such calls rather than assume a principal.
 */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "principal" });

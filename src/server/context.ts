/** Per-call values the interceptors establish for the layers inside them. */
import { createContextKey } from "@connectrpc/connect";

/** The call's request id: the caller's `x-request-id`, or one generated for it. */
export const requestIdKey = createContextKey<string>("", { description: "request id" });

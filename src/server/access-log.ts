/** One log line per RPC: method, final status code, duration, request id. No bodies. */
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { requestIdKey } from "./context.js";
import { grpcCodeName } from "./grpc-code.js";

export function accessLogInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const log = (err: unknown): void => {
      logger.info(
        {
          method: `${req.service.typeName}/${req.method.name}`,
          code: err === undefined ? "OK" : grpcCodeName(ConnectError.from(err).code),
          duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
          request_id: req.contextValues.get(requestIdKey),
        },
        "rpc",
      );
    };
    let res;
    try {
      res = await next(req);
    } catch (err) {
      log(err);
      throw err;
    }
    if (!res.stream) {
      log(undefined);
      return res;
    }
    return { ...res, message: logAtEnd(res.message, log) };
  };
}

async function* logAtEnd<T>(messages: AsyncIterable<T>, log: (err: unknown) => void): AsyncIterable<T> {
  let failure: unknown;
  try {
    yield* messages;
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // A stream the client abandoned ends through `return()` without an error.
    log(failure);
  }
}

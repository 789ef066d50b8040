import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  context,
  trace,
} from "@opentelemetry/api";

// Child spans for the integrator: `withSpan("circuit.ingest", attrs, (span) => …)`
// runs `fn` inside a span that is the child of the active one (the RPC's server
// span) and ends it when `fn` returns or its promise settles. With tracing off it
// is one function call and `fn` gets a span whose methods do nothing.

/** Runs `fn` inside a child span named `name`; returns what `fn` returns. */
export type WithSpan = <T>(name: string, attributes: Attributes | undefined, fn: (span: Span) => T) => T;

/** A span that records nothing: what `withSpan` hands out when tracing is off. */
export const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

export function createWithSpan(tracer: Tracer | undefined): WithSpan {
  if (tracer === undefined) return (_name, _attributes, fn) => fn(NOOP_SPAN);
  return (name, attributes, fn) => {
    const parent = context.active();
    const span = tracer.startSpan(name, attributes === undefined ? undefined : { attributes }, parent);
    return context.with(trace.setSpan(parent, span), () => {
      let result;
      try {
        result = fn(span);
      } catch (err) {
        endWithError(span, err);
        throw err;
      }
      if (isPromiseLike(result)) {
        return result.then(
          (value) => {
            span.end();
            return value;
          },
          (err: unknown) => {
            endWithError(span, err);
            throw err;
          },
        ) as typeof result;
      }
      span.end();
      return result;
    });
  };
}

/**
 * Adds an event to the active span (for a WatchDeltas stream: its stream span,
 * e.g. `addSpanEvent("snapshot", { "ssp.view_id": id })`). No-op without one.
 */
export function addSpanEvent(name: string, attributes?: Attributes): void {
  trace.getActiveSpan()?.addEvent(name, attributes);
}

/** Trace and span id of the active span, for logs and error reports. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  // An unsampled span still has real ids; only the all-zero context is skipped.
  if (traceId === INVALID_SPAN_CONTEXT.traceId) return undefined;
  return { trace_id: traceId, span_id: spanId };
}

function endWithError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  span.end();
}

function isPromiseLike(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

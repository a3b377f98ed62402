/**
 * OpenTelemetry traces, exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Unset,
 * nothing here runs: no SDK, no exporter, and the spans darkroom's code opens through
 * `@opentelemetry/api` are the API's no-op spans.
 *
 * One process has one tracer provider (OpenTelemetry's API is global); the first role to start it
 * wins and later starts in the same process share it.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { OtelSettings } from "./config";
import { errorText, log } from "./log";

export interface Tracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends what is buffered. */
  flush(): Promise<void>;
}

let current: Promise<Tracing> | undefined;

/** Starts tracing once per process; undefined when no endpoint is configured. */
export function startTracing(settings: OtelSettings | undefined, role: string): Promise<Tracing> | undefined {
  if (!settings) return current;
  current ??= (async () => {
    // The SDK is loaded only here: a process without an endpoint never loads it.
    const [{ AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { Resource }, { BasicTracerProvider, BatchSpanProcessor }] = await Promise.all([
      import("@opentelemetry/context-async-hooks"),
      import("@opentelemetry/core"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/sdk-trace-base"),
    ]);
    const exporter =
      settings.protocol === "http/json"
        ? new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers })
        : new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter({ url: settings.tracesUrl, headers: settings.headers });
    const resource = new Resource({ "service.name": settings.serviceName, "darkroom.role": role });
    const spanProcessor = new BatchSpanProcessor(exporter);
    const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
    provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
    log().debug({ url: settings.tracesUrl, protocol: settings.protocol }, "tracing: exporting spans over OTLP/HTTP");
    return {
      spanProcessor,
      resource,
      flush: () => spanProcessor.forceFlush().catch((err) => log().warn({ error: errorText(err) }, "tracing: exporting spans failed")),
    };
  })();
  return current;
}

/** The tracing this process started, if any (workers add Temporal's interceptors when it did). */
export function currentTracing(): Promise<Tracing> | undefined {
  return current;
}

const tracer = () => trace.getTracer("darkroom");

/**
 * Runs `fn` inside a client span (an outgoing call). Without a tracer provider the span is a no-op
 * and this costs a function call.
 */
export async function inSpan<T>(name: string, attributes: Record<string, string | number>, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Names the request's server span by its route (`POST /v1/agents/:agentId/replies`), once routed. */
export function nameServerSpan(method: string, route: string) {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute("http.route", route);
}

/** Server span for one HTTP request, continuing the caller's trace (`traceparent`) if it sent one. */
export async function inServerSpan(request: Request, fn: (span: Span) => Promise<Response> | Response): Promise<Response> {
  const parent = propagation.extract(context.active(), request.headers, {
    get: (headers, key) => headers.get(key) ?? undefined,
    keys: (headers) => [...(headers as unknown as Map<string, string>).keys()],
  });
  const url = new URL(request.url);
  return tracer().startActiveSpan(
    `${request.method} ${url.pathname}`,
    { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method, "url.path": url.pathname } },
    parent,
    async (span) => {
      try {
        const response = await fn(span);
        // A WebSocket upgrade answers nothing.
        if (response) {
          span.setAttribute("http.response.status_code", response.status);
          if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        }
        return response;
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * What a worker adds when the process exports traces: OpenTelemetry's activity interceptors (a span
 * per activity, continuing the workflow's trace from the activity's headers) and the sink that
 * exports the workflows' own spans. Without tracing, nothing: no interceptor is loaded or runs.
 */
import type { WorkerOptions } from "@temporalio/worker";
import type { Tracing } from "../lib/tracing";

export type { Tracing } from "../lib/tracing";

export async function tracingWorkerOptions(tracing: Tracing | undefined): Promise<Pick<WorkerOptions, "interceptors" | "sinks">> {
  if (!tracing) return {};
  // Loaded only with tracing (it brings the OpenTelemetry SDK along).
  const { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor } = await import("@temporalio/interceptors-opentelemetry");
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

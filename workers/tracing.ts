/**
 * What a worker adds when the process exports traces: OpenTelemetry's activity interceptors (a span
 * per activity, continuing the workflow's trace from the activity's headers), the client interceptor
 * for workflows an activity starts, and the sink that exports the workflows' own spans. Without
 * tracing, nothing: no interceptor runs.
 */
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from "@temporalio/interceptors-opentelemetry";
import type { WorkerOptions } from "@temporalio/worker";
import type { Tracing } from "../lib/tracing";

export type { Tracing } from "../lib/tracing";

export function tracingWorkerOptions(tracing: Tracing | undefined): Pick<WorkerOptions, "interceptors" | "sinks"> {
  if (!tracing) return {};
  return {
    interceptors: {
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

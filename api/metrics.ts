/**
 * GET /metrics (Prometheus text format, open like /healthz) and the timing of the chat's round
 * trip: the replies route is timed here, from the request to the answer with the waiting message.
 */
import { Elysia } from "elysia";
import type { Metrics } from "../service/metrics";
import type { ApiContext } from "./context";

const REPLIES_ROUTE = "/v1/agents/:agentId/replies";

export function metricsRoutes(ctx: ApiContext, metrics: Metrics = ctx.service.createMetrics()) {
  const receivedAt = new WeakMap<Request, number>();
  return new Elysia({ tags: ["Operations"] })
    .onStart(() => metrics.start())
    .onStop(() => metrics.stop())
    .onRequest(({ request }) => {
      receivedAt.set(request, performance.now());
    })
    .onAfterHandle({ as: "global" }, ({ request, route, responseValue }) => {
      if (request.method !== "POST" || route !== REPLIES_ROUTE) return;
      const began = receivedAt.get(request);
      const started = (responseValue as { generations?: unknown[] } | undefined)?.generations;
      // Only answers that carry a waiting message: a reply without image tags waits on nothing.
      if (began !== undefined && Array.isArray(started) && started.length > 0) metrics.observeWaitingMessage((performance.now() - began) / 1000);
    })
    .get(
      "/metrics",
      async ({ set }) => {
        set.headers["content-type"] = metrics.contentType;
        return metrics.render();
      },
      {
        detail: {
          operationId: "getMetrics",
          summary: "Prometheus metrics: generations by kind and status, latencies, GPU pool load",
          security: [],
          responses: { "200": { description: "Prometheus text exposition format", content: { "text/plain": { schema: { type: "string" } } } } },
        },
      },
    );
}

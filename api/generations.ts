/** Any generation, whatever its kind: status, cancel, retry and its live event stream. */
import { Elysia, t } from "elysia";
import { isFinalEvent } from "../domain/generation";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { eventStream, lastEventId } from "./sse";

const GenerationId = t.Object({ id: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) });

export function generationRoutes(ctx: ApiContext) {
  const { generations } = ctx.service;
  return new Elysia({ prefix: "/v1/generations", tags: ["Generations"] })
    .use(authPlugin(ctx.resolveTenant))
    .get("/:id", ({ params, tenantId }) => generations.get(tenantId, params.id), {
      params: GenerationId,
      detail: { summary: "A generation's status, progress and images" },
    })
    .post(
      "/:id/cancel",
      async ({ params, tenantId, set }) => {
        const answer = await generations.cancel(tenantId, params.id);
        set.status = 202;
        return answer;
      },
      { params: GenerationId, detail: { summary: "Cancel: interrupts or dequeues the GPU work (409 when already finished)" } },
    )
    .post(
      "/:id/retry",
      async ({ params, tenantId, set }) => {
        const answer = await generations.retry(tenantId, params.id);
        set.status = 202;
        return answer;
      },
      { params: GenerationId, detail: { summary: "Retry a failed or cancelled generation (409 otherwise)" } },
    )
    .get(
      "/:id/events",
      async ({ params, tenantId, headers, request }) => {
        await generations.assertExists(tenantId, params.id);
        return eventStream({
          hub: ctx.liveEvents,
          tenantId,
          generationId: params.id,
          afterId: lastEventId(headers["last-event-id"]),
          isTerminal: isFinalEvent,
          signal: request.signal,
        });
      },
      { params: GenerationId, detail: { summary: "Server-Sent Events for this generation; honours Last-Event-ID and ends after the final event" } },
    );
}

/** Any generation, whatever its kind: status, cancel, retry and its live event stream. */
import { Elysia, t } from "elysia";
import { isFinalEvent } from "../domain/generation";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { documentedErrors, errors, models, ResumeHeaders, sseResponse } from "./schemas";
import { eventStream, lastEventId } from "./sse";

const GenerationId = t.Object({ id: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) });

export function generationRoutes(ctx: ApiContext) {
  const { generations, regenerations } = ctx.service;
  return new Elysia({ prefix: "/v1/generations", tags: ["Generations"] })
    .use(models)
    .use(authPlugin(ctx.resolveTenant))
    .get("/:id", ({ params, tenantId }) => generations.get(tenantId, params.id), {
      params: GenerationId,
      response: { 200: "Generation", ...errors(400, 401, 404) },
      detail: { operationId: "getGeneration", summary: "A generation's status, progress and images" },
    })
    .post(
      "/:id/cancel",
      async ({ params, tenantId, set }) => {
        const answer = await generations.cancel(tenantId, params.id);
        set.status = 202;
        return answer;
      },
      {
        params: GenerationId,
        response: { 202: "Accepted", ...errors(400, 401, 404, 409, 503) },
        detail: { operationId: "cancelGeneration", summary: "Cancel: interrupts or dequeues the GPU work (409 when already finished)" },
      },
    )
    .post(
      "/:id/retry",
      async ({ params, tenantId, set }) => {
        const answer = await generations.retry(tenantId, params.id);
        set.status = 202;
        return answer;
      },
      {
        params: GenerationId,
        response: { 202: "Accepted", ...errors(400, 401, 404, 409, 503) },
        detail: { operationId: "retryGeneration", summary: "Retry a failed or cancelled generation (409 otherwise)" },
      },
    )
    .post(
      "/:id/regenerate",
      async ({ params, tenantId, set }) => {
        const answer = await regenerations.regenerate(tenantId, params.id);
        set.status = 201;
        return answer;
      },
      {
        params: GenerationId,
        response: { 201: "Regenerated", ...errors(400, 401, 404, 409, 429, 503) },
        detail: {
          operationId: "regenerateGeneration",
          summary: "Take another one: a new generation with the same prompt, persona and template and a new seed",
          description:
            "For a finished companion photo or chat image. Answers at once with the new generation (`regeneratedFrom` names the original) " +
            "and the in-character \"let me take another one\" waiting message in the conversation's language; the new picture then arrives " +
            "like any other (events, polling, Telegram or webhook for chat images). 409 `still_running` while the original is not final, " +
            "409 `not_regenerable` for angle series and variations, 404 for another tenant's id. " +
            "The new take counts against the daily image quotas: 429 `quota_exceeded` with `details.quota` and `Retry-After` when one is used up.",
        },
      },
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
      {
        params: GenerationId,
        headers: ResumeHeaders,
        detail: {
          operationId: "streamGenerationEvents",
          summary: "Server-Sent Events for this generation; honours Last-Event-ID and ends after the final event",
          responses: {
            "200": sseResponse(
              "The events so far (after Last-Event-ID), then live ones; the stream ends after image:completed, image:failed or image:cancelled",
              {
                "image:queued": "The generation is recorded and waits for a slot or a GPU",
                "image:progress": "GPU progress: percent, step, of, queuePosition",
                "image:preview": "A live preview while sampling (throttled): url (signed, of GET /v1/generations/{id}/preview), step, of, width, height",
                "message:new": "A message for the chat (the waiting or completion message)",
                "image:completed": "Done; the images are ready (final)",
                "image:failed": "Failed; the apology message follows in message:new (final)",
                "image:cancelled": "Cancelled (final)",
              },
              "GenerationEvent",
            ),
            ...documentedErrors(400, 401, 404),
          },
        },
      },
    );
}

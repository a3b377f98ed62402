/**
 * Companion photos: the chat backend hands over the LLM's reply; every `[IMAGE: …]` tag
 * becomes a generation, and the answer carries the in-character waiting message at once.
 */
import { Elysia, t } from "elysia";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { errors, models } from "./schemas";

const Id = (what: string) => t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._:@-]+$", description: what });

const PersonaSchema = t.Object({
  id: t.Optional(t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9._-]+$" })),
  name: t.String({ minLength: 1, maxLength: 100 }),
  personality: t.String({ maxLength: 2000 }),
  language: t.Optional(t.String({ minLength: 2, maxLength: 20 })),
});

export function companionPhotoRoutes(ctx: ApiContext) {
  const { companionPhotos } = ctx.service;
  return new Elysia({ prefix: "/v1/agents", tags: ["Companion photos"] })
    .use(models)
    .use(authPlugin(ctx.resolveTenant))
    .post(
      "/:agentId/replies",
      ({ params, body, tenantId }) =>
        companionPhotos.reply({
          tenantId,
          agentId: params.agentId,
          userId: body.userId,
          text: body.text,
          persona: body.persona,
          conversationId: body.conversationId,
        }),
      {
        params: t.Object({ agentId: Id("The agent (character) id in your product") }),
        parse: "json",
        body: t.Object({
          userId: Id("The end user the agent is talking to"),
          text: t.String({ maxLength: 20_000, description: "The LLM's reply; each [IMAGE: description] tag starts one image" }),
          persona: t.Optional(PersonaSchema),
          conversationId: t.Optional(Id("Your conversation id, echoed on messages")),
        }),
        response: { 200: "Reply", ...errors(400, 401, 409, 413, 503) },
        detail: {
          operationId: "createReply",
          summary: "Hand over an agent's reply; image tags start generations",
          description: "Answers at once with the reply text (tags removed) and one in-character waiting message per image.",
        },
      },
    )
    .get(
      "/:agentId/pending-images",
      ({ params, query, tenantId }) => companionPhotos.pendingImages({ tenantId, agentId: params.agentId, userId: query.userId }),
      {
        params: t.Object({ agentId: Id("The agent id") }),
        query: t.Object({ userId: Id("The end user") }),
        response: { 200: "PendingImages", ...errors(400, 401) },
        detail: {
          operationId: "listPendingImages",
          summary: "Images still being made, and those finished in the last 5 minutes",
          description: "Polling fallback. Completed ones carry the completion message with the image.",
        },
      },
    );
}

/**
 * Companion photos (seed 000): the chat backend hands over the LLM's reply; every `[IMAGE: …]` tag
 * becomes a generation, and the answer carries the in-character waiting message at once.
 */
import { Elysia, t } from "elysia";
import { normalizeLanguage, detectLanguage } from "../lib/language";
import { parseImageTags } from "../lib/imageTags";
import type { PersonaCatalog } from "../activities/personas";
import { startCompanionPhoto, workflowIdFor } from "../service/companionPhotos";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { HttpError } from "./errors";
import { generationView, messageView } from "./views";

const Id = (what: string) => t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._:@-]+$", description: what });

const PersonaSchema = t.Object({
  id: t.Optional(t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9._-]+$" })),
  name: t.String({ minLength: 1, maxLength: 100 }),
  personality: t.String({ maxLength: 2000 }),
  language: t.Optional(t.String({ minLength: 2, maxLength: 20 })),
});

const RECENT_MS = 5 * 60_000;

export function companionPhotoRoutes(ctx: ApiContext, personas: PersonaCatalog = ctx.personas) {
  return new Elysia({ prefix: "/v1/agents", tags: ["Companion photos"] })
    .use(authPlugin(ctx.resolveTenant))
    .post(
      "/:agentId/replies",
      async ({ params, body, tenantId }) => {
        const parsed = parseImageTags(body.text);
        const textMessage = parsed.text
          ? [{ id: crypto.randomUUID(), role: "assistant" as const, kind: "text" as const, content: parsed.text }]
          : [];
        if (parsed.tags.length === 0) return { text: body.text, messages: textMessage, generations: [] };

        const persona = { ...(body.persona ?? { name: params.agentId, personality: "" }) };
        // A persona id that names a persona file brings its own ComfyUI template (checkpoint, LoRAs, nodes).
        const file = persona.id ? personas.find(persona.id) : undefined;
        const look = file && { template: file.templatePath, negativePrompt: file.negativePrompt, width: file.width, height: file.height };
        const language =
          normalizeLanguage(persona.language) ?? detectLanguage(`${parsed.text} ${parsed.tags.map((tag) => tag.description).join(" ")}`);
        const started = await Promise.all(
          parsed.tags.map(async (tag) => {
            const generationId = crypto.randomUUID();
            const starter = { temporal: ctx.temporal, config: ctx.config, composeMessage: ctx.composeMessage, beginGeneration: ctx.generations.beginGeneration };
            const waiting = await startCompanionPhoto(starter, {
              generationId,
              tenantId,
              agentId: params.agentId,
              userId: body.userId,
              conversationId: body.conversationId,
              description: tag.description,
              persona,
              language,
              look,
            }).catch((err: unknown) => {
              throw new HttpError(503, "orchestrator_unavailable", `Could not start the image job: ${(err as Error).message}`);
            });
            return { generationId, description: tag.description, waiting };
          }),
        );
        return {
          text: parsed.text,
          messages: [...textMessage, ...started.map((s) => messageView(s.waiting))],
          generations: started.map((s) => ({
            id: s.generationId,
            status: "pending",
            description: s.description,
            workflowId: workflowIdFor(s.generationId),
          })),
        };
      },
      {
        params: t.Object({ agentId: Id("The agent (character) id in your product") }),
        body: t.Object({
          userId: Id("The end user the agent is talking to"),
          text: t.String({ maxLength: 20_000, description: "The LLM's reply; each [IMAGE: description] tag starts one image" }),
          persona: t.Optional(PersonaSchema),
          conversationId: t.Optional(Id("Your conversation id, echoed on messages")),
        }),
        detail: {
          summary: "Hand over an agent's reply; image tags start generations",
          description: "Answers at once with the reply text (tags removed) and one in-character waiting message per image.",
        },
      },
    )
    .get(
      "/:agentId/pending-images",
      async ({ params, query, tenantId }) => {
        const where = { tenantId, agentId: params.agentId, userId: query.userId };
        const [pending, finished] = await Promise.all([
          ctx.prisma.generation.findMany({
            where: { ...where, status: { in: ["pending", "generating"] } },
            orderBy: { createdAt: "asc" },
            include: { images: true },
            take: 100,
          }),
          ctx.prisma.generation.findMany({
            where: { ...where, status: { in: ["completed", "failed", "cancelled"] }, completedAt: { gte: new Date(Date.now() - RECENT_MS) } },
            orderBy: { completedAt: "asc" },
            include: { images: { orderBy: { outputIndex: "asc" } } },
            take: 100,
          }),
        ]);
        const messageIds = finished.map((g) => g.completedMessageId).filter((id): id is string => !!id);
        const messages = new Map(
          (await ctx.prisma.message.findMany({ where: { id: { in: messageIds } } })).map((m) => [m.id, m]),
        );
        return {
          pending: pending.map((g) => generationView(ctx, g)),
          completed: finished.map((g) => {
            const view = generationView(ctx, g);
            const m = g.completedMessageId ? messages.get(g.completedMessageId) : undefined;
            return { ...view, imageUrl: view.images[0]?.url, completedMessage: m ? messageView(m) : undefined };
          }),
        };
      },
      {
        params: t.Object({ agentId: Id("The agent id") }),
        query: t.Object({ userId: Id("The end user") }),
        detail: {
          summary: "Images still being made, and those finished in the last 5 minutes",
          description: "Polling fallback (seed 000). Completed ones carry the completion message with the image.",
        },
      },
    );
}

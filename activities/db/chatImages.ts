/**
 * The database side of chat-triggered images: the result cache and the persona's failure message.
 * Idempotent per generation, like every activity: a retry or replay never writes twice.
 */
import { createHash } from "node:crypto";
import type { Prisma, PrismaClient } from "../../lib/db/generated/client";
import type { ChatImageRecord } from "../../domain/chatImage";
import type { PersonaCatalog } from "../personas";
import { renderTemplate, type TemplateParams } from "../comfyui/template";
import { eventRow } from "./events";
import { pendingGenerationRow } from "./generations";
import { isFinal } from "../../domain/generation";
import type { Refusal } from "../../domain/contentPolicy";
import { normalizeLanguage } from "../../lib/language";
import { refusalMessage } from "../llm/refusals";

/** JSON with sorted keys, so the same graph always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k, v]) => v !== undefined && k !== "_meta")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Same template, inputs and seed → same key: the hash of the rendered graph (which holds the seed). */
export function cacheKeyOf(graph: unknown): string {
  return createHash("sha256").update(canonicalJson(graph)).digest("hex");
}

/**
 * Writes a chat image's first records unless they exist; usable inside a caller's transaction.
 * `ON CONFLICT DO NOTHING` on the generation decides the race between the two writers without an
 * error (which would abort the caller's transaction): only the one that inserted it writes the rest.
 */
export async function writeChatImageRecord(db: Prisma.TransactionClient, r: ChatImageRecord): Promise<void> {
  const { count } = await db.generation.createMany({
    skipDuplicates: true,
    data: [
      {
        ...pendingGenerationRow(r),
        dialogId: r.dialogId,
        conversationId: r.conversationId,
        messageNumber: r.messageNumber,
        persona: { ...r.persona, checkpoint: r.checkpoint },
        language: r.language,
        seed: BigInt(r.seed),
        ...(r.waitingMessage ? { waitingMessageId: r.waitingMessage.id } : {}),
      },
    ],
  });
  if (count === 0) return;
  const scope = { tenantId: r.tenantId, generationId: r.generationId, dialogId: r.dialogId };
  if (r.waitingMessage) {
    // A regenerated picture's "let me take another one": the dialog's chat hears it at once.
    const { id, content } = r.waitingMessage;
    await db.message.create({ data: { id, tenantId: r.tenantId, generationId: r.generationId, conversationId: r.dialogId, kind: "waiting", content } });
    await db.event.createMany({ data: [eventRow(scope, "message:new", { message: { id, role: "assistant", kind: "waiting", content, generationId: r.generationId } })] });
  }
  if (r.deliveries.length) {
    await db.delivery.createMany({ data: r.deliveries.map((d) => ({ id: crypto.randomUUID(), tenantId: r.tenantId, generationId: r.generationId, ...d })) });
  }
  await db.event.createMany({
    data: [eventRow(scope, "image:queued", { generationId: r.generationId, dialogId: r.dialogId, messageNumber: r.messageNumber })],
  });
}

export function createChatImageRecordActivities(deps: { prisma: PrismaClient; personas: PersonaCatalog }) {
  const { prisma } = deps;

  return {
    /**
     * The picture's first write: the generation, its delivery rows and its `image:queued` event,
     * once. The dialog service writes it inside the transaction that counted the triggering
     * message; the workflow's first step writes it again, so a start whose transaction was lost
     * still has its record. Both come from `chatImageRecord`, so they cannot differ.
     */
    async beginChatImage(record: ChatImageRecord): Promise<void> {
      await prisma.$transaction((tx) => writeChatImageRecord(tx, record));
    },

    /**
     * Records the prompt and cache key, and when a completed generation of the same tenant has the
     * same key, gives this one its pictures: new Image rows pointing at the same stored files.
     */
    async reuseCachedChatImage(input: { generationId: string; prompt: string }): Promise<{ cacheKey: string; imageIds: string[] | null }> {
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: input.generationId }, include: { images: { orderBy: { outputIndex: "asc" } } } });
      const personaId = (g.persona as { id?: string } | null)?.id ?? "";
      const persona = deps.personas.find(personaId);
      if (!persona) throw new Error(`Persona "${personaId}" of generation ${g.id} is no longer in ${deps.personas.dir}`);
      const params: TemplateParams = {
        prompt: input.prompt,
        negativePrompt: g.negativePrompt ?? persona.negativePrompt,
        seed: Number(g.seed ?? 0),
        width: g.width ?? persona.width,
        height: g.height ?? persona.height,
        // The reference picture's content-addressed name and the LoRA are part of what is made.
        ...persona.identity,
      };
      const cacheKey = cacheKeyOf(renderTemplate(persona.template, params));
      if (g.images.length > 0) return { cacheKey, imageIds: g.images.map((i) => i.id) };

      return prisma.$transaction(async (tx) => {
        await tx.generation.update({ where: { id: g.id }, data: { cacheKey, prompt: input.prompt } });
        const hit = await tx.generation.findFirst({
          where: { tenantId: g.tenantId, cacheKey, status: "completed", id: { not: g.id }, images: { some: {} } },
          orderBy: { completedAt: "asc" },
          include: { images: { orderBy: { outputIndex: "asc" } } },
        });
        if (!hit) return { cacheKey, imageIds: null };
        const imageIds: string[] = [];
        for (const { id: _hitId, tenantId: _tenant, generationId: _generation, createdAt: _at, ...stored } of hit.images) {
          // The same stored files, as this generation's own image rows.
          const id = crypto.randomUUID();
          await tx.image.create({ data: { ...stored, id, tenantId: g.tenantId, generationId: g.id } });
          imageIds.push(id);
        }
        await tx.generation.update({ where: { id: g.id }, data: { provider: "cache", instance: null } });
        return { cacheKey, imageIds };
      });
    },

    /**
     * Ends a chat image whose prompt the content policy refused, before any GPU work: status
     * `refused`, the reason for operators, and the persona's refusal (in its language and tone) as
     * the message its deliveries send instead of a photo. Written once.
     */
    async refuseChatImage(input: { generationId: string; refusal: Refusal }): Promise<void> {
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: input.generationId } });
      if (g.completedMessageId || isFinal(g.status)) return;
      const persona = (g.persona ?? {}) as { personality?: string };
      const content = refusalMessage(normalizeLanguage(g.language) ?? "en", persona.personality ?? "");
      const messageId = crypto.randomUUID();
      const scope = { tenantId: g.tenantId, generationId: g.id, dialogId: g.dialogId };
      await prisma.$transaction([
        prisma.message.create({ data: { id: messageId, tenantId: g.tenantId, generationId: g.id, conversationId: g.dialogId, kind: "refused", content } }),
        prisma.event.createMany({
          data: [
            eventRow(scope, "image:failed", {
              generationId: g.id,
              refused: true,
              error: "refused by the content policy",
              message: { id: messageId, role: "assistant", kind: "refused", content },
            }),
          ],
        }),
        prisma.generation.update({
          where: { id: g.id },
          data: {
            status: "refused",
            refusedBy: input.refusal.by,
            errorMessage: input.refusal.reason.slice(0, 2000),
            completedMessageId: messageId,
            completedAt: new Date(),
            queuePosition: null,
          },
        }),
      ]);
    },

    /** Ends the generation with the persona's own failure message (written once); the error is kept for operators. */
    async failChatImage(input: { generationId: string; error: string }): Promise<void> {
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: input.generationId } });
      if (g.completedMessageId || isFinal(g.status)) return;
      const personaId = (g.persona as { id?: string } | null)?.id ?? "";
      const content = deps.personas.find(personaId)?.failureMessage ?? "Sorry, the picture did not work out this time.";
      const messageId = crypto.randomUUID();
      const scope = { tenantId: g.tenantId, generationId: g.id, dialogId: g.dialogId };
      await prisma.$transaction([
        prisma.message.create({
          data: { id: messageId, tenantId: g.tenantId, generationId: g.id, conversationId: g.dialogId, kind: "failed", content },
        }),
        prisma.event.createMany({
          data: [
            eventRow(scope, "image:failed", {
              generationId: g.id,
              error: input.error,
              message: { id: messageId, role: "assistant", kind: "failed", content },
            }),
          ],
        }),
        prisma.generation.update({
          where: { id: g.id },
          data: { status: "failed", errorMessage: input.error.slice(0, 2000), completedMessageId: messageId, completedAt: new Date(), queuePosition: null },
        }),
      ]);
    },
  };
}

/**
 * A dialog's message counter and its picture cadence (seed 002). Each posted message is numbered
 * under a per-dialog lock, so concurrent posts never share a number or skip a trigger; when the
 * number reaches the dialog's next trigger, the generation (with its deliveries and the queued
 * event) is recorded and its workflow started inside the same transaction — a failed start rolls
 * everything back, so there are no half-written records.
 */
import type { PrismaClient } from "../lib/db/generated/client";
import { eventRow } from "../activities/db/events";
import { drawInterval, imageSeed, type Interval } from "../domain/dialogCadence";
import type { DeliveryTargets } from "../lib/deliveryTargets";
import type { PersonaDefinition } from "../activities/personas";
import { CHAT_IMAGE_KIND, chatImageWorkflowId, type ChatImageRequest } from "./chatImages";

export interface PostedMessage {
  tenantId: string;
  dialogId: string;
  role: "user" | "assistant";
  text: string;
  persona: PersonaDefinition;
  /** Replaces the dialog's delivery targets when given. */
  delivery?: DeliveryTargets;
}

export interface PostedMessageResult {
  messageCount: number;
  imageTriggered: boolean;
  generationId?: string;
  nextTriggerAt: number;
}

export async function postDialogMessage(
  prisma: PrismaClient,
  every: Interval,
  m: PostedMessage,
  startWorkflow: (request: ChatImageRequest) => Promise<string>,
): Promise<PostedMessageResult> {
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dialog/${m.tenantId}/${m.dialogId}`}))`;
      let dialog = await tx.dialog.findUnique({ where: { tenantId_dialogId: { tenantId: m.tenantId, dialogId: m.dialogId } } });
      dialog ??= await tx.dialog.create({
        data: {
          id: crypto.randomUUID(),
          tenantId: m.tenantId,
          dialogId: m.dialogId,
          personaId: m.persona.id,
          nextTriggerAt: drawInterval(m.tenantId, m.dialogId, 0, every),
          triggerDraws: 1,
        },
      });
      const number = dialog.messageCount + 1;
      await tx.dialogMessage.create({ data: { id: crypto.randomUUID(), dialogPk: dialog.id, number, role: m.role, text: m.text } });
      const delivery = (m.delivery ?? (dialog.delivery as DeliveryTargets | null) ?? {}) as DeliveryTargets;
      const triggered = number >= dialog.nextTriggerAt;
      const nextTriggerAt = triggered ? number + drawInterval(m.tenantId, m.dialogId, dialog.triggerDraws, every) : dialog.nextTriggerAt;
      const now = new Date();
      await tx.dialog.update({
        where: { id: dialog.id },
        data: {
          messageCount: number,
          personaId: m.persona.id,
          ...(m.delivery ? { delivery: m.delivery as object } : {}),
          ...(triggered ? { lastImageMessageNo: number, lastImageGenerationAt: now, nextTriggerAt, triggerDraws: { increment: 1 } } : {}),
        },
      });
      if (!triggered) return { messageCount: number, imageTriggered: false, nextTriggerAt };

      const generationId = crypto.randomUUID();
      const seed = imageSeed(m.tenantId, m.dialogId, number);
      const p = m.persona;
      await tx.generation.create({
        data: {
          id: generationId,
          tenantId: m.tenantId,
          kind: CHAT_IMAGE_KIND,
          status: "pending",
          dialogId: m.dialogId,
          conversationId: m.dialogId,
          messageNumber: number,
          description: m.text.slice(0, 2000),
          negativePrompt: p.negativePrompt,
          persona: { id: p.id, name: p.name, personality: p.personality, language: p.language, checkpoint: p.checkpoint },
          language: p.language,
          seed: BigInt(seed),
          width: p.width,
          height: p.height,
          template: p.templatePath,
          workflowId: chatImageWorkflowId(generationId),
          provider: "comfyui",
        },
      });
      const targets = [
        ...(delivery.telegram ? [{ channel: "telegram", target: delivery.telegram.chatId }] : []),
        ...(delivery.webhook ? [{ channel: "webhook", target: delivery.webhook.url }] : []),
      ];
      if (targets.length) {
        await tx.delivery.createMany({ data: targets.map((t) => ({ id: crypto.randomUUID(), tenantId: m.tenantId, generationId, ...t })) });
      }
      await tx.event.createMany({
        data: [eventRow({ tenantId: m.tenantId, generationId, dialogId: m.dialogId }, "image:queued", { generationId, dialogId: m.dialogId, messageNumber: number })],
      });
      // Last, so any failure before it leaves nothing behind; a failed start rolls all of it back.
      await startWorkflow({ generationId, tenantId: m.tenantId, dialogId: m.dialogId, persona: p, seed, delivery });
      return { messageCount: number, imageTriggered: true, generationId, nextTriggerAt };
    },
    { timeout: 20_000, maxWait: 20_000 },
  );
}

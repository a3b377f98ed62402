/**
 * The Delivery row of one generation and channel: every attempt is counted and its error kept, so
 * a receiver that is down shows up on the generation instead of silently losing the picture.
 */
import { isFinal } from "../../domain/generation";
import type { PrismaClient } from "../../lib/db/generated/client";

export type Channel = "telegram" | "webhook";

export interface DeliveryContent {
  generation: { id: string; tenantId: string; dialogId: string | null; messageNumber: number | null; status: string; persona: unknown };
  /** The completion message (caption) or the persona's failure message. */
  text: string;
  images: Array<{ id: string; storageKey: string; width: number; height: number }>;
}

export function deliveryRecords(prisma: PrismaClient) {
  return {
    /** Counts an attempt; returns the row, or `delivered` when an earlier attempt already got through. */
    async beginAttempt(generationId: string, channel: Channel, target: string) {
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: generationId }, select: { tenantId: true } });
      const existing = await prisma.delivery.upsert({
        where: { generationId_channel_target: { generationId, channel, target } },
        create: { id: crypto.randomUUID(), tenantId: g.tenantId, generationId, channel, target },
        update: {},
      });
      if (existing.status === "delivered") return { delivery: existing, alreadyDelivered: true };
      const delivery = await prisma.delivery.update({ where: { id: existing.id }, data: { attempts: { increment: 1 } } });
      return { delivery, alreadyDelivered: false };
    },

    async succeeded(id: string, externalId: string) {
      await prisma.delivery.update({ where: { id }, data: { status: "delivered", externalId, deliveredAt: new Date(), lastError: null } });
    },

    async failedAttempt(id: string, error: string, final: boolean) {
      // An attempt that ends after the flow gave up (cancelled) must not revive the row.
      await prisma.delivery.updateMany({
        where: { id, status: { notIn: ["delivered", "failed"] } },
        data: { status: final ? "failed" : "retrying", lastError: error.slice(0, 1000) },
      });
    },

    /** Whether the generation is still being made (no outcome recorded yet). */
    async stillOpen(generationId: string): Promise<boolean> {
      const g = await prisma.generation.findUnique({ where: { id: generationId }, select: { status: true } });
      return g !== null && !isFinal(g.status);
    },

    /** What to send: the finished generation's pictures and message. */
    async content(generationId: string): Promise<DeliveryContent> {
      const g = await prisma.generation.findUniqueOrThrow({
        where: { id: generationId },
        include: { images: { orderBy: { outputIndex: "asc" } } },
      });
      const message = g.completedMessageId ? await prisma.message.findUnique({ where: { id: g.completedMessageId } }) : null;
      return {
        generation: { id: g.id, tenantId: g.tenantId, dialogId: g.dialogId, messageNumber: g.messageNumber, status: g.status, persona: g.persona },
        text: message?.content ?? "",
        images: g.images.map((i) => ({ id: i.id, storageKey: i.storageKey, width: i.width, height: i.height })),
      };
    },
  };
}

export type DeliveryRecords = ReturnType<typeof deliveryRecords>;

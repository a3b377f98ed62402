/** Every activity of the chat-image flow (workflows/chatImage.ts), composed from its parts. */
import type { PrismaClient } from "../lib/db/generated/client";
import type { Config } from "../lib/config";
import { loadPersonas, type PersonaCatalog } from "./personas";
import { createChatImagePromptActivities } from "./chatImagePrompt";
import { createChatImageRecordActivities } from "./db/chatImages";
import { deliveryRecords, type Channel } from "./delivery/records";
import { createTelegramDeliveryActivities } from "./delivery/telegram";
import { createWebhookDeliveryActivities } from "./delivery/webhook";
import type { AskLlm } from "./imagePrompt";
import { createInstanceAffinityActivities } from "./instanceAffinity";
import { createContentPolicy } from "./contentPolicy";
import type { InstancePool } from "./instancePool";
import type { ImageStore } from "../lib/storage";

export function createChatImageActivities(deps: {
  config: Config;
  prisma: PrismaClient;
  store: ImageStore;
  pool: InstancePool;
  imageUrls(imageId: string): { url: string; thumbnailUrl: string };
  askLlm?: AskLlm;
  personas?: PersonaCatalog;
}) {
  const personas = deps.personas ?? loadPersonas(deps.config.chatImages.personasDir);
  const records = deliveryRecords(deps.prisma);
  const chatImageRecords = createChatImageRecordActivities({ prisma: deps.prisma, personas });
  const policy = createContentPolicy({ config: deps.config, prisma: deps.prisma });
  return {
    ...createChatImagePromptActivities({ prisma: deps.prisma, personas, askLlm: deps.askLlm, budgetMs: deps.config.llmBudgetMs }),
    ...chatImageRecords,
    /**
     * The content policy on the prompt the flow built (from the conversation), before any GPU work;
     * a refused one ends the generation with the persona's refusal. A chat image has no waiting
     * message to keep honest (nobody asked for it), so this runs in the flow, on the real prompt.
     */
    async screenChatImagePrompt(input: { generationId: string; prompt: string }): Promise<{ refused: boolean }> {
      const g = await deps.prisma.generation.findUniqueOrThrow({ where: { id: input.generationId }, select: { tenantId: true } });
      const refusal = await policy.screen(g.tenantId, input.prompt);
      if (!refusal) return { refused: false };
      await chatImageRecords.refuseChatImage({ generationId: input.generationId, refusal });
      return { refused: true };
    },
    ...createInstanceAffinityActivities({ prisma: deps.prisma, pool: deps.pool, costs: deps.config.comfy.models }),
    ...createTelegramDeliveryActivities({ settings: deps.config.telegram, store: deps.store, records }),
    ...createWebhookDeliveryActivities({ settings: deps.config.webhooks, records, imageUrls: deps.imageUrls }),
    /** A channel that ran out of retries (or was cancelled): its row says so for good. */
    async markDeliveryFailed(input: { generationId: string; channel: Channel; target: string; error: string }): Promise<void> {
      await deps.prisma.delivery.updateMany({
        where: { generationId: input.generationId, channel: input.channel, target: input.target, status: { not: "delivered" } },
        data: { status: "failed", lastError: input.error.slice(0, 1000) },
      });
    },
  };
}

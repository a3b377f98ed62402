/**
 * The general activities: everything the main worker runs for workflows except the GPU work itself,
 * which runs on each instance's own task queue (see workers/gpu.ts).
 */
import type { Client } from "@temporalio/client";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";
import { createInterruptActivities } from "./comfyui/interrupt";
import { createGenerationActivities } from "./db/generations";
import { createImagePromptActivities, type AskLlm } from "./imagePrompt";
import type { InstancePool } from "./instancePool";
import { createLlmActivities } from "./llm";
import { createImageStoreActivities } from "./storeImages";
import type { ImageStore } from "./storage";

export interface ActivityDeps {
  config: Config;
  prisma: PrismaClient;
  store: ImageStore;
  pool: InstancePool;
  temporal?: Client;
  imageUrls(imageId: string): { url: string; thumbnailUrl: string };
  askLlm?: AskLlm;
}

export function createGeneralActivities(deps: ActivityDeps) {
  const llm = createLlmActivities({ llm: deps.config.llm, budgetMs: deps.config.llmBudgetMs });
  return {
    ...llm,
    ...createGenerationActivities({
      prisma: deps.prisma,
      composeMessage: llm.composeMessage,
      imageUrls: deps.imageUrls,
      temporal: deps.temporal,
    }),
    ...createImageStoreActivities({
      prisma: deps.prisma,
      store: deps.store,
      instances: deps.config.comfy.instances,
      imaging: deps.config.image,
    }),
    ...createImagePromptActivities({ askLlm: deps.askLlm, budgetMs: deps.config.llmBudgetMs }),
    ...createInterruptActivities({ prisma: deps.prisma, instances: deps.config.comfy.instances }),
    pickInstance: deps.pool.pickInstance,
  };
}

export type GeneralActivities = ReturnType<typeof createGeneralActivities>;

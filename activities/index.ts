/**
 * The general activities: everything the main worker runs for workflows except the GPU work itself,
 * which runs on each instance's own task queue (see workers/gpu.ts).
 */
import type { Client } from "@temporalio/client";
import type { Config } from "../lib/config";
import type { PersonaCatalog } from "./personas";
import type { PrismaClient } from "../lib/db/generated/client";
import { createChatImageActivities } from "./chatImages";
import { createInterruptActivities } from "./comfyui/interrupt";
import { createReferenceActivities } from "./comfyui/reference";
import { createSeriesActivities } from "./db/series";
import { createHordeActivities } from "./horde/generate";
import { createGenerationActivities } from "./db/generations";
import { createTaskRecords } from "./db/tasks";
import { createImagePromptActivities, type AskLlm } from "./imagePrompt";
import type { InstancePool, PickedInstance } from "./instancePool";
import { createLlmActivities } from "./llm";
import { createImageStoreActivities } from "./storeImages";
import type { ImageStore } from "../lib/storage";

export interface ActivityDeps {
  /** The persona files, loaded and checked once at start. */
  personas?: PersonaCatalog;
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
  const generations = createGenerationActivities({
    prisma: deps.prisma,
    composeMessage: llm.composeMessage,
    imageUrls: deps.imageUrls,
    temporal: deps.temporal,
  });
  return {
    ...llm,
    ...generations,
    /** Pick an instance and record it on the generation in one step (one local activity, not two). */
    async assignInstance(input: { generationId: string; exclude: string[] }): Promise<PickedInstance | null> {
      const picked = await deps.pool.pickInstance({ exclude: input.exclude });
      if (picked) await generations.markGenerating({ generationId: input.generationId, instance: picked.name });
      return picked;
    },
    ...createImageStoreActivities({
      prisma: deps.prisma,
      store: deps.store,
      instances: deps.config.comfy.instances,
      imaging: deps.config.image,
    }),
    ...createImagePromptActivities({ askLlm: deps.askLlm, budgetMs: deps.config.llmBudgetMs }),
    ...createInterruptActivities({ prisma: deps.prisma, instances: deps.config.comfy.instances }),
    ...createReferenceActivities({ prisma: deps.prisma, store: deps.store, instances: deps.config.comfy.instances }),
    pickInstance: deps.pool.pickInstance,
    ...createChatImageActivities(deps),
    ...angleSeriesActivities(deps),
    ...createTaskRecords(deps),
  };
}

/** Angle series: its records and the AI Horde provider. */
function angleSeriesActivities(deps: ActivityDeps) {
  const series = createSeriesActivities({ prisma: deps.prisma, askLlm: deps.askLlm, budgetMs: deps.config.llmBudgetMs });
  const horde = createHordeActivities({
    prisma: deps.prisma,
    store: deps.store,
    imaging: deps.config.image,
    horde: deps.config.horde,
    pollMs: deps.config.series.hordePollMs,
    recordProgress: series.recordQueueProgress,
  });
  return { ...series, ...horde };
}

export type GeneralActivities = ReturnType<typeof createGeneralActivities>;

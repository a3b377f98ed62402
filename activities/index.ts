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
import { createGenerationActivities, type BeginGenerationInput } from "./db/generations";
import type { ChatMessage } from "../domain/messages";
import { createTaskRecords } from "./db/tasks";
import { createImagePromptActivities, type AskLlm } from "./imagePrompt";
import type { InstancePool, PickedInstance } from "./instancePool";
import { createLlmActivities } from "./llm";
import { createImageStoreActivities, type StoredImage } from "./storeImages";
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
  // `prepareCompletion` and `admit` are helpers, not activities (they take or return functions).
  const { prepareCompletion, admit, ...generations } = createGenerationActivities({
    prisma: deps.prisma,
    composeMessage: llm.composeMessage,
    imageUrls: deps.imageUrls,
    temporal: deps.temporal,
  });
  const imageStore = createImageStoreActivities({
    prisma: deps.prisma,
    store: deps.store,
    instances: deps.config.comfy.instances,
    imaging: deps.config.image,
  });
  /** Pick an instance and record it on the generation in one step (one local activity, not two). */
  async function assignInstance(input: { generationId: string; exclude: string[] }): Promise<PickedInstance | null> {
    const picked = await deps.pool.pickInstance({ exclude: input.exclude });
    if (picked) await generations.markGenerating({ generationId: input.generationId, instance: picked.name });
    return picked;
  }
  return {
    ...llm,
    ...generations,
    assignInstance,
    /**
     * A photo's whole admission in one local activity, where it used to take three: its records
     * (and waiting message), the user's slot, and — once the slot is granted — an instance.
     */
    async admitGeneration(input: {
      record: BeginGenerationInput;
      slot: { tenantId: string; userId: string; max: number };
      assign: boolean;
    }): Promise<{ waiting: ChatMessage; claim: { granted: boolean; queuePosition: number }; instance?: PickedInstance | null }> {
      return admit(input, input.assign ? { pick: () => deps.pool.pickInstance({ exclude: [] }), unpick: (i) => deps.pool.unpick(i.name) } : undefined);
    },
    ...imageStore,
    /**
     * After the GPU, in one local activity where it used to take two: store the pictures, then
     * write the completion message. Both parts are idempotent, so a retry of the whole is safe.
     */
    async storeAndCompleteGeneration(input: Parameters<typeof imageStore.storeImages>[0] & { gpuMs: number }): Promise<{ images: StoredImage[]; message: ChatMessage }> {
      // The completion's reads and its in-character message are made while the pictures are processed.
      const [images, completion] = await Promise.all([imageStore.storeImages(input), prepareCompletion(input.generationId)]);
      const message = await completion.write(images, input.gpuMs);
      return { images, message };
    },
    ...createImagePromptActivities({ askLlm: deps.askLlm, budgetMs: deps.config.llmBudgetMs }),
    ...createInterruptActivities({ prisma: deps.prisma, instances: deps.config.comfy.instances }),
    ...createReferenceActivities({ prisma: deps.prisma, store: deps.store, instances: deps.config.comfy.instances }),
    pickInstance: deps.pool.pickInstance,
    /**
     * After a GPU job was not picked up in time: whether its instance is still working through its
     * queue, and if so the wait expected behind it now.
     */
    async instanceStillWorking(input: { name: string }): Promise<{ working: boolean; queueWaitMs?: number }> {
      if (!(await deps.pool.isWorking(input.name))) return { working: false };
      return { working: true, ...(await deps.pool.queueWaitOf(input.name)) };
    },
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

/**
 * A chat-triggered persona image (seed 002): every few dialog messages the API records a
 * generation and starts this flow. It builds the prompt from the conversation, reuses a stored
 * picture when the same template, inputs and seed were made before (no GPU), otherwise makes it on
 * an instance that already has the persona's checkpoint loaded, then delivers it to the dialog's
 * Telegram chat and/or signed webhook. A slow GPU ends in the persona's failure message; a dead
 * receiver only keeps its own delivery retrying and never holds the picture back.
 *
 * Deterministic orchestration only: the trigger interval and the seed were drawn before the start
 * (lib/dialogCadence.ts), never here. Replay histories live in test/histories/chatImage-*.json.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import { TimeoutType } from "@temporalio/common";
import type { GenerateOnComfyResult, createComfyActivities } from "../activities/comfyui/generate";
import type { GeneralActivities } from "../activities";
import { comfyTaskQueue } from "../domain/taskQueues";
import { DarkroomStatus } from "../domain/searchAttributes";

export interface ChatImageInput {
  generationId: string;
  tenantId: string;
  dialogId: string;
  personaId: string;
  checkpoint: string;
  /** Absolute path of the persona's API-format template. */
  template: string;
  seed: number;
  width: number;
  height: number;
  negativePrompt: string;
  delivery: { telegram?: { chatId: string }; webhook?: { url: string } };
  limits: {
    timeoutMs: number;
    pickupTimeoutMs: number;
    heartbeatTimeoutMs: number;
    delivery: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number };
  };
}

export interface ChatImageResult {
  status: "completed" | "failed";
  imageIds: string[];
  fromCache: boolean;
  deliveries: Array<{ channel: "telegram" | "webhook"; status: "delivered" | "failed" }>;
}

const general = proxyActivities<GeneralActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "200 ms", backoffCoefficient: 2, maximumInterval: "10 seconds", maximumAttempts: 10 },
});

const FAILOVER_TYPES = new Set(["ComfyInstanceUnavailable"]);

export async function chatImage(input: ChatImageInput): Promise<ChatImageResult> {
  const { generationId } = input;
  let made: { imageIds: string[]; fromCache: boolean } | undefined;
  let failure: string | undefined;
  try {
    // The whole making of the picture, GPU included, is bounded; on expiry the scope's cancellation
    // interrupts the running prompt like an operator's cancel would.
    made = await CancellationScope.withTimeout(input.limits.timeoutMs, () => makeImage(input));
  } catch (err) {
    if (isCancellation(err) && CancellationScope.current().consideredCancelled) {
      // Cancelled from outside (operator, API): stop the GPU and record it; nothing is delivered.
      await CancellationScope.nonCancellable(async () => {
        await general.stopGpuWork({ generationId });
        await general.cancelGeneration({ generationId });
      });
      upsertSearchAttributes([{ key: DarkroomStatus, value: "cancelled" }]);
      throw err;
    }
    if (isCancellation(err)) {
      await general.stopGpuWork({ generationId });
      failure = `the picture was not ready within ${Math.round(input.limits.timeoutMs / 1000)} s`;
    } else {
      failure = describeFailure(err);
    }
  }

  if (made) {
    upsertSearchAttributes([{ key: DarkroomStatus, value: "completed" }]);
  } else {
    await general.failChatImage({ generationId, error: failure ?? "unknown error" });
    upsertSearchAttributes([{ key: DarkroomStatus, value: "failed" }]);
  }
  const deliveries = await deliverAll(input);
  return { status: made ? "completed" : "failed", imageIds: made?.imageIds ?? [], fromCache: made?.fromCache ?? false, deliveries };
}

async function makeImage(input: ChatImageInput): Promise<{ imageIds: string[]; fromCache: boolean }> {
  const { generationId } = input;
  const prompt = await general.buildChatImagePrompt({ generationId });
  const cached = await general.reuseCachedChatImage({ generationId, prompt });
  if (cached.imageIds) {
    await general.completeGeneration({ generationId, imageIds: cached.imageIds, gpuMs: 0 });
    return { imageIds: cached.imageIds, fromCache: true };
  }
  const result = await generateOnSomeInstance(input, prompt);
  const images = await general.storeImages({
    generationId,
    tenantId: input.tenantId,
    instance: result.instance,
    outputs: result.outputs,
    seed: input.seed,
  });
  const imageIds = images.map((i) => i.id);
  await general.completeGeneration({ generationId, imageIds, gpuMs: result.gpuMs });
  return { imageIds, fromCache: false };
}

/** Prefers the instance that last ran the persona's checkpoint; fails over like companion photos. */
async function generateOnSomeInstance(input: ChatImageInput, prompt: string): Promise<GenerateOnComfyResult> {
  const tried: string[] = [];
  let lastProblem = "no ComfyUI instance is configured";
  for (let attempt = 0; ; attempt++) {
    const instance = await general.pickInstanceForCheckpoint({ checkpoint: input.checkpoint, exclude: tried });
    if (!instance) {
      if (attempt > 30) throw ApplicationFailure.nonRetryable(`No GPU instance could make the picture: ${lastProblem}`, "NoInstanceAvailable");
      // Every instance is down or already failed this job: wait for one; the flow's timeout bounds this.
      tried.length = 0;
      await sleep("3 seconds");
      continue;
    }
    await general.markGenerating({ generationId: input.generationId, instance: instance.name });
    upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
    const onInstance = proxyActivities<ReturnType<typeof createComfyActivities>>({
      taskQueue: comfyTaskQueue(instance.name),
      scheduleToStartTimeout: input.limits.pickupTimeoutMs,
      startToCloseTimeout: input.limits.timeoutMs,
      heartbeatTimeout: input.limits.heartbeatTimeoutMs,
      retry: { initialInterval: "500 ms", maximumInterval: "5 seconds", maximumAttempts: 4 },
    });
    try {
      return await onInstance.generateOnComfy({
        generationId: input.generationId,
        template: input.template,
        params: { prompt, negativePrompt: input.negativePrompt, seed: input.seed, width: input.width, height: input.height },
      });
    } catch (err) {
      if (!shouldFailOver(err)) throw err;
      tried.push(instance.name);
      lastProblem = describeFailure(err);
    }
  }
}

/**
 * Each channel retries on its own with backoff (Telegram's retry_after is honoured by the
 * activity); a channel that gives up is marked failed and never affects the other one.
 */
async function deliverAll(input: ChatImageInput): Promise<ChatImageResult["deliveries"]> {
  const { delivery: retry } = input.limits;
  const deliver = proxyActivities<GeneralActivities>({
    startToCloseTimeout: "30 seconds",
    // A cancelled flow must not wait for an attempt against a dead receiver to time out.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: {
      initialInterval: retry.initialRetryMs,
      backoffCoefficient: 2,
      maximumInterval: retry.maxRetryMs,
      maximumAttempts: retry.maxAttempts,
    },
  });
  const jobs: Array<Promise<ChatImageResult["deliveries"][number]>> = [];
  const run = async (channel: "telegram" | "webhook", target: string, send: () => Promise<unknown>) => {
    try {
      await send();
      return { channel, status: "delivered" as const };
    } catch (err) {
      if (isCancellation(err)) {
        await CancellationScope.nonCancellable(() => general.markDeliveryFailed({ generationId: input.generationId, channel, target, error: "cancelled" }));
        throw err;
      }
      await general.markDeliveryFailed({ generationId: input.generationId, channel, target, error: describeFailure(err) });
      return { channel, status: "failed" as const };
    }
  };
  const { telegram, webhook } = input.delivery;
  if (telegram) jobs.push(run("telegram", telegram.chatId, () => deliver.deliverToTelegram({ generationId: input.generationId, chatId: telegram.chatId })));
  if (webhook) jobs.push(run("webhook", webhook.url, () => deliver.deliverToWebhook({ generationId: input.generationId, url: webhook.url })));
  return Promise.all(jobs);
}

function shouldFailOver(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) {
    return cause.timeoutType === TimeoutType.SCHEDULE_TO_START || cause.timeoutType === TimeoutType.HEARTBEAT;
  }
  return cause instanceof ApplicationFailure && FAILOVER_TYPES.has(cause.type ?? "");
}

function describeFailure(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && (e as { cause?: unknown }).cause instanceof Error) e = (e as { cause: unknown }).cause;
  if (e instanceof TimeoutFailure) return `timed out (${e.timeoutType ?? "unknown"})`;
  return e instanceof Error ? e.message : String(e);
}

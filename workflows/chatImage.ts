/**
 * A chat-triggered persona image: every few dialog messages the dialog service records a
 * generation and starts this flow. It builds the prompt from the conversation, reuses a stored
 * picture when the same template, inputs and seed were made before (no GPU), otherwise makes it on
 * an instance that already has the persona's checkpoint loaded, then delivers it to the dialog's
 * Telegram chat and/or signed webhook. A slow GPU ends in the persona's failure message; a dead
 * receiver only keeps its own delivery retrying and never holds the picture back.
 *
 * Deterministic orchestration only: the trigger interval and the seed were drawn before the start,
 * never here. Replay histories live in test/histories/chatImage-*.json.
 */
import { CancellationScope, isCancellation, patched, upsertSearchAttributes } from "@temporalio/workflow";
import { chatImageRecord, type ChatImageInput, type ChatImageResult } from "../domain/chatImage";
import { DarkroomStatus } from "../domain/searchAttributes";
import { chatActionSteps, deliverySteps, localSteps, serverSteps as general } from "./activityProfiles";
import { describeFailure, generateOnSomeInstance } from "./comfyPlacement";

export type { ChatImageInput, ChatImageResult };

export async function chatImage(input: ChatImageInput): Promise<ChatImageResult> {
  const { generationId } = input;
  // Runs started before this step existed had their record written by the API alone.
  if (patched("chat-image-records-itself") && input.trigger) {
    await localSteps.beginChatImage(chatImageRecord({ ...input, trigger: input.trigger }));
  }
  let made: Made | undefined;
  let failure: string | undefined;
  // Runs started before the status existed never asked for it.
  const uploading = patched("chat-image-upload-photo-status") && input.delivery.telegram ? showUploadingPhoto(input, input.delivery.telegram.chatId) : undefined;
  try {
    // The whole making of the picture, GPU included, is bounded; on expiry the scope's cancellation
    // interrupts the running prompt like an operator's cancel would.
    made = await CancellationScope.withTimeout(input.limits.timeoutMs, () => makeImage(input));
    await uploading?.stop();
  } catch (err) {
    // Ready, failed or cancelled: the status stops before anything else is written or sent.
    await CancellationScope.nonCancellable(async () => uploading?.stop());
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

  if (made?.refused) {
    upsertSearchAttributes([{ key: DarkroomStatus, value: "refused" }]);
  } else if (made) {
    upsertSearchAttributes([{ key: DarkroomStatus, value: "completed" }]);
  } else {
    await general.failChatImage({ generationId, error: failure ?? "unknown error" });
    upsertSearchAttributes([{ key: DarkroomStatus, value: "failed" }]);
  }
  const deliveries = await deliverAll(input);
  return { status: made?.refused ? "refused" : made ? "completed" : "failed", imageIds: made?.imageIds ?? [], fromCache: made?.fromCache ?? false, deliveries };
}

/**
 * "sending photo…" in the Telegram chat while the picture is made, in its own scope: `stop` cancels
 * it and waits until the activity has ended, so no status can follow the photo. An operator's cancel
 * of the whole flow reaches it too (its scope is a child of the flow's).
 */
function showUploadingPhoto(input: ChatImageInput, chatId: string): { stop(): Promise<void> } {
  const scope = new CancellationScope();
  const running = scope
    .run(() => chatActionSteps({ startToCloseMs: input.limits.timeoutMs + 60_000 }).showUploadingPhoto({ chatId, generationId: input.generationId }))
    // A status that could not be shown (cancelled, chat gone, worker lost) never affects the picture.
    .catch(() => undefined);
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (scope.cancel(), running);
      return stopped;
    },
  };
}

interface Made {
  imageIds: string[];
  fromCache: boolean;
  refused?: boolean;
}

async function makeImage(input: ChatImageInput): Promise<Made> {
  const { generationId } = input;
  const prompt = await general.buildChatImagePrompt({ generationId });
  // The content policy sees the prompt itself (built from the conversation) before any GPU work or
  // cache lookup; runs started before the step existed never asked it.
  if (patched("chat-image-content-policy") && (await general.screenChatImagePrompt({ generationId, prompt })).refused) {
    return { imageIds: [], fromCache: false, refused: true };
  }
  const cached = await general.reuseCachedChatImage({ generationId, prompt });
  if (cached.imageIds) {
    await general.completeGeneration({ generationId, imageIds: cached.imageIds, gpuMs: 0 });
    return { imageIds: cached.imageIds, fromCache: true };
  }
  const result = await generateOnSomeInstance({
    generationId,
    template: input.template,
    params: { prompt, negativePrompt: input.negativePrompt, seed: input.seed, width: input.width, height: input.height, ...input.identity },
    pickupTimeoutMs: input.limits.pickupTimeoutMs,
    heartbeatTimeoutMs: input.limits.heartbeatTimeoutMs,
    // The flow's own timeout scope bounds the whole making; each GPU attempt may use all of it.
    remaining: () => input.limits.timeoutMs,
    // Prefer the instance that last ran the persona's checkpoint: no model swap on the GPU.
    pick: (exclude) => general.pickInstanceForCheckpoint({ checkpoint: input.checkpoint, exclude }),
    onInstance: async (instance) => {
      await general.markGenerating({ generationId, instance });
      upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
    },
    whenNoneHealthy: "wait",
    waitForInstanceMs: 3000,
    maxWaits: 30,
  });
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

/**
 * Each channel retries on its own with backoff (Telegram's retry_after is honoured by the
 * activity); a channel that gives up is marked failed and never affects the other one.
 */
async function deliverAll(input: ChatImageInput): Promise<ChatImageResult["deliveries"]> {
  const deliver = deliverySteps(input.limits.delivery);
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

/**
 * A companion photo: the chat gets an in-character waiting message at once, the picture
 * is made on a ComfyUI instance in the background, and an in-character completion message with the
 * image follows — or an apology when it cannot be made.
 *
 * Deterministic orchestration only: every side effect is an activity. Replay histories of this
 * workflow are committed under test/histories; a change that breaks them must use `patched()`.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import { companionPhotoRecord, type CompanionPhotoInput, type CompanionPhotoResult } from "../domain/companionPhoto";
import { FailureType } from "../domain/failures";
import { plainImagePrompt } from "../domain/imagePrompt";
import type { ChatMessage } from "../domain/messages";
import type { StoredImage } from "../activities/storeImages";
import { DarkroomStatus } from "../domain/searchAttributes";
import { slotFreedSignal, stageQuery, waitingMessageUpdate } from "../domain/signals";
import { localImageSteps, localSteps as fast } from "./activityProfiles";
import { describeFailure, generateOnSomeInstance } from "./comfyPlacement";

export type { CompanionPhotoInput, CompanionPhotoResult };

/**
 * `patched` id: admission (records, slot, instance) in one local activity instead of three, and
 * storing plus completing in one instead of two. Runs from before it replay with the old steps.
 */
const FEWER_LOCAL_STEPS = "companion-photo-fewer-local-steps";

// Every step but the GPU work runs as a local activity in the main worker: no extra round trip
// through the server per step, and each step is idempotent, so the worker's own retries are safe.

export async function companionPhoto(input: CompanionPhotoInput): Promise<CompanionPhotoResult> {
  let waiting: ChatMessage | undefined;
  let stage = "starting";
  let slotFreed = false;
  setHandler(waitingMessageUpdate, async () => {
    await condition(() => waiting !== undefined);
    return waiting!;
  });
  setHandler(slotFreedSignal, () => void (slotFreed = true));
  setHandler(stageQuery, () => stage);

  const deadline = Date.now() + input.limits.generationTimeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());

  const slot = { tenantId: input.tenantId, userId: input.userId, max: input.limits.maxConcurrentPerUser };
  // Without an LLM to ask first, the instance can be picked as soon as the slot is granted.
  const promptKnown = input.prompt !== undefined || !input.llmPrompts;
  // Admission (records, the user's slot, an instance) in one local activity: every local activity
  // costs a hand-off between the workflow and the activity side, so the GPU job goes out sooner.
  let admitted: Awaited<ReturnType<typeof fast.admitGeneration>> | undefined;
  const fewerSteps = patched(FEWER_LOCAL_STEPS);
  // A local activity: no extra server round trip before the chat gets its answer.
  if (!fewerSteps) waiting = await fast.beginGeneration(companionPhotoRecord(input));
  /** The instance admission picked, taken once: a failover picks again. */
  let preassigned: Awaited<ReturnType<typeof fast.assignInstance>> | undefined;

  let slotHeld = false;
  try {
    if (fewerSteps) {
      // Admission may claim the slot: a cancel that lands while it runs must still give it back
      // (the release is a no-op when no slot was claimed).
      slotHeld = true;
      admitted = await fast.admitGeneration({ record: companionPhotoRecord(input), slot, assign: promptKnown });
      waiting = admitted.waiting;
      preassigned = admitted.instance ?? undefined;
    }
    // Per-user fairness: at most N generations of one user run at once; the rest wait in order.
    stage = "queued";
    for (let first = true; ; first = false) {
      const claim = first && admitted ? admitted.claim : await fast.claimUserSlot({ generationId: input.generationId, ...slot });
      if (claim.granted) break;
      slotFreed = false;
      // The signal is the fast path; the timer only guards against a lost signal.
      if (!(await condition(() => slotFreed, "30 seconds")) && Date.now() > deadline) {
        throw ApplicationFailure.nonRetryable("The photo waited too long in the queue", FailureType.GenerationTimedOut);
      }
    }
    slotHeld = true;

    // A regenerated photo brings the seed drawn for it; otherwise the workflow's deterministic
    // random draws one (the same on replay). Either way no command changes.
    const seed = input.seed ?? Math.floor(Math.random() * 2 ** 48);
    // Without an LLM the prompt is a pure function of the description: no activity needed.
    // Another take brings the original's prompt: an LLM asked again would write another picture.
    // (A run with a prompt in its input never asks the LLM; runs without one issue what they always did.)
    const prompt = input.prompt !== undefined
      ? input.prompt
      : input.llmPrompts
      ? await fast.buildImagePrompt({ description: input.description, persona: input.persona, language: input.language })
      : plainImagePrompt(input.description);
    const made = await generateOnSomeInstance({
      generationId: input.generationId,
      template: input.template,
      params: { prompt, negativePrompt: input.negativePrompt, seed, width: input.width, height: input.height, ...input.identity },
      pickupTimeoutMs: input.limits.pickupTimeoutMs,
      heartbeatTimeoutMs: input.limits.heartbeatTimeoutMs,
      remaining,
      // Pick and record the instance in one local activity.
      pick: async (exclude) => {
        const picked = preassigned;
        preassigned = undefined;
        return picked ?? fast.assignInstance({ generationId: input.generationId, exclude });
      },
      onInstance: async () => {
        upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
      },
      onStage: (s) => (stage = s),
      whenNoneHealthy: "wait",
    });

    stage = "storing";
    const stored = { generationId: input.generationId, tenantId: input.tenantId, instance: made.instance, outputs: made.outputs, seed, prompt };
    let images: StoredImage[];
    let message: ChatMessage;
    if (fewerSteps) {
      ({ images, message } = await localImageSteps.storeAndCompleteGeneration({ ...stored, gpuMs: made.gpuMs }));
    } else {
      images = await localImageSteps.storeImages(stored);
      stage = "completing";
      message = await fast.completeGeneration({ generationId: input.generationId, imageIds: images.map((i) => i.id), gpuMs: made.gpuMs });
    }
    stage = "completed";
    upsertSearchAttributes([{ key: DarkroomStatus, value: "completed" }]);
    return { status: "completed", imageIds: images.map((i) => i.id), message };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await fast.stopGpuWork({ generationId: input.generationId });
        await fast.cancelGeneration({ generationId: input.generationId });
      });
      stage = "cancelled";
      upsertSearchAttributes([{ key: DarkroomStatus, value: "cancelled" }]);
      throw err;
    }
    const reason = describeFailure(err);
    const message = await fast.failGeneration({ generationId: input.generationId, error: reason });
    stage = "failed";
    upsertSearchAttributes([{ key: DarkroomStatus, value: "failed" }]);
    return { status: "failed", imageIds: [], message };
  } finally {
    if (slotHeld) {
      await CancellationScope.nonCancellable(() =>
        fast.releaseUserSlot({ generationId: input.generationId, tenantId: input.tenantId, userId: input.userId }),
      );
    }
  }
}


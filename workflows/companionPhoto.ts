/**
 * A companion photo (seed 000): the chat gets an in-character waiting message at once, the picture
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
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import type { ComfyOutputRef } from "../activities/comfyui/generate";
import type { GeneralActivities } from "../activities";
import type { Persona } from "../activities/llm";
import type { Language } from "../lib/language";
import { plainImagePrompt } from "../domain/imagePrompt";
import { describeFailure, generateOnSomeInstance } from "./comfyPlacement";
import { DarkroomStatus } from "../domain/searchAttributes";
import type { ChatMessage } from "../activities/db/generations";

export interface CompanionPhotoInput {
  generationId: string;
  tenantId: string;
  agentId: string;
  userId: string;
  conversationId?: string;
  description: string;
  persona: Persona;
  language: Language;
  /** Path of an API-format ComfyUI template; undefined means the built-in one. */
  template?: string;
  width: number;
  height: number;
  negativePrompt: string;
  /** Whether an LLM rewrites descriptions into image prompts (else the description is the prompt). */
  llmPrompts?: boolean;
  /** The waiting message the API already composed and returned (its fast path). */
  waitingMessage?: { id: string; content: string };
  limits: {
    maxConcurrentPerUser: number;
    generationTimeoutMs: number;
    /** How long a job waits for its instance's worker before failing over to another instance. */
    pickupTimeoutMs: number;
    heartbeatTimeoutMs: number;
  };
}

export interface CompanionPhotoResult {
  status: "completed" | "failed" | "cancelled";
  imageIds: string[];
  message?: ChatMessage;
}

/** The API waits on this update (Update-with-Start) and returns the waiting message at once. */
export const waitingMessageUpdate = defineUpdate<ChatMessage>("waitingMessage");
/** Another generation of the same user finished: maybe a slot is free now. */
export const slotFreedSignal = defineSignal("slotFreed");
export const stageQuery = defineQuery<string>("stage");

// Every step but the GPU work runs as a local activity in the main worker: no extra round trip
// through the server per step, and each step is idempotent, so the worker's own retries are safe.
const afterGpu = proxyLocalActivities<GeneralActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "200 ms", backoffCoefficient: 2, maximumInterval: "10 seconds", maximumAttempts: 10 },
});

const fast = proxyLocalActivities<GeneralActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "100 ms", maximumInterval: "2 seconds", maximumAttempts: 5 },
});

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

  // A local activity: no extra server round trip before the chat gets its answer.
  waiting = await fast.beginGeneration({
    generationId: input.generationId,
    tenantId: input.tenantId,
    kind: "companion_photo",
    agentId: input.agentId,
    userId: input.userId,
    conversationId: input.conversationId,
    description: input.description,
    persona: input.persona,
    language: input.language,
    template: input.template,
    width: input.width,
    height: input.height,
    workflowId: workflowInfo().workflowId,
    waitingMessage: input.waitingMessage,
  });

  let slotHeld = false;
  try {
    // Per-user fairness: at most N generations of one user run at once; the rest wait in order.
    stage = "queued";
    for (;;) {
      const claim = await fast.claimUserSlot({
        generationId: input.generationId,
        tenantId: input.tenantId,
        userId: input.userId,
        max: input.limits.maxConcurrentPerUser,
      });
      if (claim.granted) break;
      slotFreed = false;
      // The signal is the fast path; the timer only guards against a lost signal.
      if (!(await condition(() => slotFreed, "30 seconds")) && Date.now() > deadline) {
        throw ApplicationFailure.nonRetryable("The photo waited too long in the queue", "GenerationTimedOut");
      }
    }
    slotHeld = true;

    const seed = Math.floor(Math.random() * 2 ** 48);
    // Without an LLM the prompt is a pure function of the description: no activity needed.
    const prompt = input.llmPrompts
      ? await fast.buildImagePrompt({ description: input.description, persona: input.persona, language: input.language })
      : plainImagePrompt(input.description);
    const made = await generateOnSomeInstance({
      generationId: input.generationId,
      template: input.template,
      params: { prompt, negativePrompt: input.negativePrompt, seed, width: input.width, height: input.height },
      pickupTimeoutMs: input.limits.pickupTimeoutMs,
      heartbeatTimeoutMs: input.limits.heartbeatTimeoutMs,
      remaining,
      // Pick and record the instance in one local activity.
      pick: (exclude) => fast.assignInstance({ generationId: input.generationId, exclude }),
      onInstance: async () => {
        upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
      },
      onStage: (s) => (stage = s),
      whenNoneHealthy: "wait",
    });

    stage = "storing";
    const images = await afterGpu.storeImages({
      generationId: input.generationId,
      tenantId: input.tenantId,
      instance: made.instance,
      outputs: made.outputs,
      seed,
    });

    stage = "completing";
    const message = await fast.completeGeneration({
      generationId: input.generationId,
      imageIds: images.map((i) => i.id),
      gpuMs: made.gpuMs,
    });
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

export type { ComfyOutputRef };

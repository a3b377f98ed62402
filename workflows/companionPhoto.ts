/**
 * A companion photo (seed 000): the chat gets an in-character waiting message at once, the picture
 * is made on a ComfyUI instance in the background, and an in-character completion message with the
 * image follows — or an apology when it cannot be made.
 *
 * Deterministic orchestration only: every side effect is an activity. Replay histories of this
 * workflow are committed under test/histories; a change that breaks them must use `patched()`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from "@temporalio/workflow";
import { TimeoutType } from "@temporalio/common";
import type { ComfyOutputRef, GenerateOnComfyResult, createComfyActivities } from "../activities/comfyui/generate";
import type { GeneralActivities } from "../activities";
import type { Persona } from "../activities/llm";
import type { Language } from "../lib/language";
import { comfyTaskQueue } from "../lib/taskQueues";
import { DarkroomStatus } from "../lib/temporal/searchAttributes";
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

const general = proxyActivities<GeneralActivities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "200 ms", backoffCoefficient: 2, maximumInterval: "10 seconds", maximumAttempts: 10 },
});

const fast = proxyLocalActivities<GeneralActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "100 ms", maximumInterval: "2 seconds", maximumAttempts: 5 },
});

/** Failure types after which another instance should get the job instead of failing the user. */
const FAILOVER_TYPES = new Set(["ComfyInstanceUnavailable"]);

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
    const prompt = await general.buildImagePrompt({ description: input.description, persona: input.persona, language: input.language });
    const made = await generateOnSomeInstance(input, { prompt, seed }, remaining, (s) => (stage = s));

    stage = "storing";
    const images = await general.storeImages({
      generationId: input.generationId,
      tenantId: input.tenantId,
      instance: made.instance,
      outputs: made.outputs,
      seed,
    });

    stage = "completing";
    const message = await general.completeGeneration({
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
        await general.stopGpuWork({ generationId: input.generationId });
        await general.cancelGeneration({ generationId: input.generationId });
      });
      stage = "cancelled";
      upsertSearchAttributes([{ key: DarkroomStatus, value: "cancelled" }]);
      throw err;
    }
    const reason = describeFailure(err);
    const message = await general.failGeneration({ generationId: input.generationId, error: reason });
    stage = "failed";
    upsertSearchAttributes([{ key: DarkroomStatus, value: "failed" }]);
    return { status: "failed", imageIds: [], message };
  } finally {
    if (slotHeld) {
      await CancellationScope.nonCancellable(() =>
        general.releaseUserSlot({ generationId: input.generationId, tenantId: input.tenantId, userId: input.userId }),
      );
    }
  }
}

/**
 * Pick a healthy instance and run the prompt on its own task queue; when the instance is down or
 * its worker never picks the job up, try another one (the worker-specific task queue pattern).
 */
async function generateOnSomeInstance(
  input: CompanionPhotoInput,
  params: { prompt: string; seed: number },
  remaining: () => number,
  setStage: (stage: string) => void,
): Promise<GenerateOnComfyResult> {
  const tried: string[] = [];
  let lastProblem = "no ComfyUI instance is configured";
  for (let attempt = 0; ; attempt++) {
    setStage("picking-instance");
    const instance = await general.pickInstance({ exclude: tried });
    if (!instance) {
      // Every instance is down or already failed this job: wait for one to come back, within budget.
      if (remaining() <= 1000 || attempt > 50) {
        throw ApplicationFailure.nonRetryable(`No GPU instance could make the photo: ${lastProblem}`, "NoInstanceAvailable");
      }
      tried.length = 0;
      await sleep(Math.min(5000, remaining()));
      continue;
    }
    await fast.markGenerating({ generationId: input.generationId, instance: instance.name });
    upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
    setStage(`generating on ${instance.name}`);
    const onInstance = proxyActivities<ReturnType<typeof createComfyActivities>>({
      taskQueue: comfyTaskQueue(instance.name),
      scheduleToStartTimeout: input.limits.pickupTimeoutMs,
      startToCloseTimeout: remaining(),
      heartbeatTimeout: input.limits.heartbeatTimeoutMs,
      // A retry after a worker crash re-attaches to the running prompt (heartbeat details), so it is cheap.
      retry: { initialInterval: "500 ms", maximumInterval: "5 seconds", maximumAttempts: 4 },
    });
    try {
      return await onInstance.generateOnComfy({
        generationId: input.generationId,
        template: input.template,
        params: { prompt: params.prompt, negativePrompt: input.negativePrompt, seed: params.seed, width: input.width, height: input.height },
      });
    } catch (err) {
      if (!shouldFailOver(err)) throw err;
      tried.push(instance.name);
      lastProblem = describeFailure(err);
    }
  }
}

function shouldFailOver(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) {
    // Nobody picked the job up (worker gone), or the worker died and retries ran out.
    return cause.timeoutType === TimeoutType.SCHEDULE_TO_START || cause.timeoutType === TimeoutType.HEARTBEAT;
  }
  return cause instanceof ApplicationFailure && FAILOVER_TYPES.has(cause.type ?? "");
}

/** A message for the stored error: the innermost cause is what a person can act on. */
function describeFailure(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && (e as { cause?: unknown }).cause instanceof Error) e = (e as { cause: unknown }).cause;
  if (e instanceof TimeoutFailure) return `timed out (${e.timeoutType ?? "unknown"})`;
  return e instanceof Error ? e.message : String(e);
}

export type { ComfyOutputRef };

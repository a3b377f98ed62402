/**
 * Placing one image on the ComfyUI pool, for any flow: pick a healthy instance, run the prompt on
 * that instance's own task queue, and fail over to another instance when it is down or its worker
 * never picks the job up (the worker-specific task queue pattern). Workflow code: deterministic.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  TimeoutFailure,
} from "@temporalio/workflow";
import { TimeoutType } from "@temporalio/common";
import type { GenerateOnComfyResult, createComfyActivities } from "../activities/comfyui/generate";
import type { TemplateParams } from "../activities/comfyui/template";
import type { GeneralActivities } from "../activities";
import type { PickedInstance } from "../activities/instancePool";
import { comfyTaskQueue } from "../domain/taskQueues";

const fast = proxyLocalActivities<GeneralActivities>({
  startToCloseTimeout: "20 seconds",
  retry: { initialInterval: "100 ms", maximumInterval: "2 seconds", maximumAttempts: 5 },
});

/** Failure types after which another instance should get the job instead of failing the user. */
const FAILOVER_TYPES = new Set(["ComfyInstanceUnavailable"]);

export interface PlacementOptions {
  generationId: string;
  template?: string;
  params: TemplateParams;
  pickupTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** Milliseconds left in the caller's budget. */
  remaining(): number;
  /**
   * Chooses an instance not in `exclude` (default: the pool's pick). A flow may pick and record in
   * one local activity instead.
   */
  pick?(exclude: string[]): Promise<PickedInstance | null>;
  /** Records the chosen instance (and flips the search attribute) before the job is sent. */
  onInstance(instance: string): Promise<void>;
  /**
   * Readies the chosen instance for this job (e.g. uploads a reference picture) and returns what
   * changes in the job for it.
   */
  prepare?(instance: string): Promise<{ template?: string; params?: Partial<TemplateParams> }>;
  onStage?(stage: string): void;
  /**
   * "wait": when no instance is healthy, wait for one within budget (the only provider).
   * "give-up": fail at once with NoInstanceAvailable so another provider can serve.
   */
  whenNoneHealthy: "wait" | "give-up";
}

export async function generateOnSomeInstance(opts: PlacementOptions): Promise<GenerateOnComfyResult> {
  const tried: string[] = [];
  let lastProblem = "no ComfyUI instance is configured or healthy";
  for (let attempt = 0; ; attempt++) {
    opts.onStage?.("picking-instance");
    const instance = await (opts.pick ? opts.pick([...tried]) : fast.pickInstance({ exclude: tried }));
    if (!instance) {
      if (opts.whenNoneHealthy === "give-up" || opts.remaining() <= 1000 || attempt > 50) {
        throw ApplicationFailure.nonRetryable(`No GPU instance could make the image: ${lastProblem}`, "NoInstanceAvailable");
      }
      // Every instance is down or already failed this job: wait for one to come back, within budget.
      tried.length = 0;
      await sleep(Math.min(5000, opts.remaining()));
      continue;
    }
    await opts.onInstance(instance.name);
    opts.onStage?.(`generating on ${instance.name}`);
    const onInstance = proxyActivities<ReturnType<typeof createComfyActivities>>({
      taskQueue: comfyTaskQueue(instance.name),
      scheduleToStartTimeout: opts.pickupTimeoutMs,
      startToCloseTimeout: opts.remaining(),
      heartbeatTimeout: opts.heartbeatTimeoutMs,
      // A retry after a worker crash re-attaches to the running prompt (heartbeat details), so it is cheap.
      retry: { initialInterval: "500 ms", maximumInterval: "5 seconds", maximumAttempts: 4 },
    });
    try {
      const prepared = opts.prepare ? await opts.prepare(instance.name) : {};
      return await onInstance.generateOnComfy({
        generationId: opts.generationId,
        template: prepared.template ?? opts.template,
        params: { ...opts.params, ...prepared.params },
      });
    } catch (err) {
      if (!shouldFailOver(err)) throw err;
      tried.push(instance.name);
      lastProblem = describeFailure(err);
    }
  }
}

export function shouldFailOver(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) {
    // Nobody picked the job up (worker gone), or the worker died and retries ran out.
    return cause.timeoutType === TimeoutType.SCHEDULE_TO_START || cause.timeoutType === TimeoutType.HEARTBEAT;
  }
  return cause instanceof ApplicationFailure && FAILOVER_TYPES.has(cause.type ?? "");
}

/** A message for the stored error: the innermost cause is what a person can act on. */
export function describeFailure(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && (e as { cause?: unknown }).cause instanceof Error) e = (e as { cause: unknown }).cause;
  if (e instanceof TimeoutFailure) return `timed out (${e.timeoutType ?? "unknown"})`;
  return e instanceof Error ? e.message : String(e);
}

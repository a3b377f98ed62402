/**
 * Placing one image on the ComfyUI pool, for every flow: pick a healthy instance, run the prompt on
 * that instance's own task queue, and fail over to another instance when it is down or its worker
 * never picks the job up (the worker-specific task queue pattern). Workflow code: deterministic.
 */
import { ActivityFailure, ApplicationFailure, log, patched, sleep, TimeoutFailure } from "@temporalio/workflow";
import { TimeoutType } from "@temporalio/common";
import type { GenerateOnComfyResult } from "../activities/comfyui/generate";
import type { PickedInstance } from "../activities/instancePool";
import { FAILOVER_FAILURES, FailureType } from "../domain/failures";
import type { TemplateParams } from "../domain/templates";
import { localSteps, onInstance } from "./activityProfiles";

export interface PlacementOptions {
  generationId: string;
  template?: string;
  params: TemplateParams;
  pickupTimeoutMs: number;
  heartbeatTimeoutMs: number;
  /** Milliseconds left in the caller's budget; also each GPU attempt's start-to-close timeout. */
  remaining(): number;
  /**
   * Chooses an instance not in `exclude` (default: the pool's pick). A flow may pick and record in
   * one activity instead, or prefer instances with its checkpoint loaded.
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
  /** Pause between looks for a healthy instance (default: 5 s, or what is left of the budget). */
  waitForInstanceMs?: number;
  /** How many such pauses before giving up (default 50). */
  maxWaits?: number;
}

/**
 * `patched` id: a GPU job not picked up in time on an instance that is still working through its
 * queue waits there again instead of failing over. Runs from before it fail over as they did.
 */
const PICKUP_TIMEOUT_CHECKS_INSTANCE = "pickup-timeout-checks-instance";

/**
 * How many times one job waits again behind a working instance before it fails over anyway (an
 * instance shared with other clients can be busy while our worker is gone). The waits double, so
 * the generation's own budget usually ends it first.
 */
const MAX_WAITS_BEHIND_WORKING_INSTANCE = 10;

export async function generateOnSomeInstance(opts: PlacementOptions): Promise<GenerateOnComfyResult> {
  const tried: string[] = [];
  let lastProblem = "no ComfyUI instance is configured or healthy";
  /** The instance to wait for again, with a fresh estimate of the wait. */
  let waitAgain: PickedInstance | undefined;
  let waitsBehindWorking = 0;
  for (let attempt = 0; ; attempt++) {
    opts.onStage?.("picking-instance");
    const again = waitAgain;
    waitAgain = undefined;
    const instance = again ?? (await (opts.pick ? opts.pick([...tried]) : localSteps.pickInstance({ exclude: tried })));
    if (!instance) {
      if (opts.whenNoneHealthy === "give-up" || opts.remaining() <= 1000 || attempt > (opts.maxWaits ?? 50)) {
        throw ApplicationFailure.nonRetryable(`No GPU instance could make the image: ${lastProblem}`, FailureType.NoInstanceAvailable);
      }
      // Every instance is down or already failed this job: wait for one to come back, within budget.
      // (The workflow logger is a sink, not a command: it writes nothing to the history and is
      // silent during replay.)
      // Said once per wait, not on every look.
      if (attempt === 0 || tried.length > 0) log.warn("no ComfyUI instance can take the job; waiting for one", { generationId: opts.generationId, problem: lastProblem });
      tried.length = 0;
      await sleep(opts.waitForInstanceMs ?? Math.min(5000, opts.remaining()));
      continue;
    }
    if (!again) await opts.onInstance(instance.name);
    opts.onStage?.(`generating on ${instance.name}`);
    // A worker that does not pick the job up in time is taken for gone; behind a deep backlog "in
    // time" means twice the time the jobs ahead should take, or a busy instance would look dead and
    // every waiting job would churn between instances.
    const pickupTimeoutMs = Math.max(opts.pickupTimeoutMs, 2 * (instance.queueWaitMs ?? 0));
    const gpu = onInstance(instance.name, {
      pickupTimeoutMs,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
      startToCloseMs: opts.remaining(),
    });
    try {
      const prepared = opts.prepare ? await opts.prepare(instance.name) : {};
      return await gpu.generateOnComfy({
        generationId: opts.generationId,
        template: prepared.template ?? opts.template,
        params: { ...opts.params, ...prepared.params },
      });
    } catch (err) {
      if (!shouldFailOver(err)) throw err;
      // Not picked up in time is ambiguous: the worker may be gone, or the jobs ahead are slower
      // than the recent ones the wait was estimated from (a bigger model, a busier machine). An
      // instance still running prompts has a worker feeding it: moving the job to another instance
      // would only churn it between live queues.
      if (isPickupTimeout(err) && waitsBehindWorking < MAX_WAITS_BEHIND_WORKING_INSTANCE && patched(PICKUP_TIMEOUT_CHECKS_INSTANCE)) {
        const now = await localSteps.instanceStillWorking({ name: instance.name });
        if (now.working) {
          waitsBehindWorking++;
          // The estimate was short once: each wait again is at least twice the last, so a long
          // queue costs a few re-schedules, not one per pickup timeout.
          waitAgain = { ...instance, queueWaitMs: Math.max(now.queueWaitMs ?? 0, pickupTimeoutMs) };
          log.info("instance still working through its queue; waiting in it again", { generationId: opts.generationId, instance: instance.name });
          continue;
        }
      }
      tried.push(instance.name);
      lastProblem = describeFailure(err);
      log.warn("failing over to another ComfyUI instance", { generationId: opts.generationId, instance: instance.name, problem: lastProblem });
    }
  }
}

function isPickupTimeout(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

/** Another instance should get the job instead of failing the user. */
export function shouldFailOver(err: unknown): boolean {
  // Nobody picked the job up (worker gone).
  if (isPickupTimeout(err)) return true;
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  // The worker died and retries ran out.
  if (cause instanceof TimeoutFailure) return cause.timeoutType === TimeoutType.HEARTBEAT;
  return cause instanceof ApplicationFailure && FAILOVER_FAILURES.has(cause.type ?? "");
}

/** A message for the stored error: the innermost cause is what a person can act on. */
export function describeFailure(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && (e as { cause?: unknown }).cause instanceof Error) e = (e as { cause: unknown }).cause;
  if (e instanceof TimeoutFailure) return `timed out (${e.timeoutType ?? "unknown"})`;
  return e instanceof Error ? e.message : String(e);
}

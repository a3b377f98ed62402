/**
 * The GPU worker's activity: run one generation on this worker's ComfyUI instance.
 *
 * The prompt id is heartbeated before and right after submitting, so when the worker dies
 * mid-job and Temporal retries the activity, the next attempt re-attaches to the prompt already
 * on the GPU instead of paying for it twice. Only a prompt the instance has lost (a restart
 * empties its queue and history) is submitted again — and never one whose generation was cancelled:
 * a cancelled prompt deleted from the instance's queue looks exactly like a lost one, so before every
 * submit and resubmit the activity asks the stop gate (see interrupt.ts).
 */
import { Context } from "@temporalio/activity";
import { ApplicationFailure, ApplicationFailureCategory } from "@temporalio/common";
import type { ComfyInstance } from "../../lib/config";
import { getComfyClient, readOutput, type ComfyPromptEvent } from "./client";
import { ComfyExecutionFailed, ComfyInstanceUnavailable, ComfyPromptRejected } from "./errors";
import { ComfyHttp } from "./http";
import type { ComfyOutputRef } from "./protocol";
import type { GpuStopGate } from "./interrupt";
import { ensureInputImage } from "./inputImages";
import { PreviewReporter, type ComfyPreview, type PreviewOptions } from "./preview";
import { ProgressReporter, type ComfyProgress } from "./progress";
import { jobShape, throughputOf } from "./throughput";
import { ComfyTemplateInvalid, InvalidGenerationParams, loadTemplate, renderTemplate, type TemplateParams } from "./template";

export type { ComfyOutputRef } from "./protocol";
export type { ComfyProgress } from "./progress";
export type { ComfyPreview } from "./preview";

export interface GenerateOnComfyInput {
  generationId: string;
  /** Template file path; undefined = the built-in graph. */
  template?: string;
  params: TemplateParams;
}

export interface GenerateOnComfyResult {
  instance: string;
  promptId: string;
  outputs: ComfyOutputRef[];
  gpuMs: number;
  /** How often the prompt had to be sent again because the instance lost it. */
  resubmissions: number;
  /** True when this attempt picked up a prompt submitted by an earlier attempt. */
  reattached: boolean;
}

/** What the activity heartbeats; an earlier attempt's last one arrives as `info.heartbeatDetails`. */
export interface ComfyHeartbeat {
  promptId: string;
  percent: number;
}

export interface ComfyActivityHooks {
  onProgress?: (progress: ComfyProgress) => Promise<void> | void;
  /** Live previews (small WebPs, throttled); without one, preview frames are ignored. */
  onPreview?: (preview: ComfyPreview) => Promise<void> | void;
  previewOptions?: PreviewOptions;
  /** Whether the generation's GPU work was stopped (cancelled); without one, nothing is ever stopped. */
  stopGate?: GpuStopGate;
  /** The instance finished the generation's prompt just now (the time to delivery is measured from here). */
  onFinished?: (generationId: string) => void;
}

/** The failure type of a GPU attempt that found its generation's GPU work stopped. */
export const GPU_WORK_STOPPED = "GpuWorkStopped";

function stoppedFailure(generationId: string): ApplicationFailure {
  // Benign: the expected end of a cancelled generation's GPU attempt, not worth a warning in the logs.
  return ApplicationFailure.create({
    message: `Generation ${generationId} was cancelled; its prompt is not sent to the GPU`,
    type: GPU_WORK_STOPPED,
    nonRetryable: true,
    category: ApplicationFailureCategory.BENIGN,
  });
}

/**
 * Cancellation reasons after which the prompt is left on the instance: a worker shutting down or an
 * attempt the server gave up on is followed by a retry that re-attaches to it.
 */
const REATTACHABLE_CANCELS = new Set(["WORKER_SHUTDOWN", "TIMED_OUT"]);

/** An instance that keeps losing the prompt is treated as unavailable after this many resubmissions. */
const MAX_RESUBMISSIONS = 3;

function previousPromptId(details: unknown): string | undefined {
  const promptId = (details as Partial<ComfyHeartbeat> | null | undefined)?.promptId;
  return typeof promptId === "string" && promptId ? promptId : undefined;
}

function toFailure(err: unknown): unknown {
  if (err instanceof ComfyPromptRejected) return ApplicationFailure.nonRetryable(err.message, err.name, err.details);
  if (err instanceof ComfyExecutionFailed) return ApplicationFailure.nonRetryable(err.message, err.name, err.details);
  if (err instanceof ComfyInstanceUnavailable) return ApplicationFailure.nonRetryable(err.message, err.name, err.details);
  if (err instanceof ComfyTemplateInvalid) return ApplicationFailure.nonRetryable(err.message, err.name);
  if (err instanceof InvalidGenerationParams) return ApplicationFailure.nonRetryable(err.message, err.name);
  return err;
}

export function createComfyActivities(instance: ComfyInstance, hooks: ComfyActivityHooks = {}) {
  return {
    async generateOnComfy(input: GenerateOnComfyInput): Promise<GenerateOnComfyResult> {
      const ctx = Context.current();
      const client = getComfyClient(instance);
      const abort = new AbortController();
      let cancellation: unknown;
      // Cancellation reaches an activity through heartbeats; it stops the HTTP calls and the follow.
      ctx.cancelled.catch((err: unknown) => {
        cancellation = err;
        abort.abort(err);
      });
      const signal = abort.signal;

      let promptId: string | undefined;
      let percent = 0;
      const heartbeat = () => {
        if (promptId) ctx.heartbeat({ promptId, percent } satisfies ComfyHeartbeat);
      };
      const reporter = new ProgressReporter(input.generationId, instance.name, hooks.onProgress, (err) =>
        ctx.log.warn("progress hook failed", { generationId: input.generationId, error: String(err) }),
      );
      const previews = hooks.onPreview
        ? new PreviewReporter(
            input.generationId,
            instance.name,
            hooks.onPreview,
            (err) => ctx.log.warn("preview not delivered", { generationId: input.generationId, error: String(err) }),
            hooks.previewOptions,
          )
        : undefined;
      const onEvent = (event: ComfyPromptEvent) => {
        if (!promptId) return heartbeat();
        previews?.observe(promptId, event);
        // Preview frames say nothing about progress; heartbeats follow the steps.
        if (event.type === "preview") return;
        percent = reporter.observe(promptId, event);
        heartbeat();
      };

      const gate = hooks.stopGate;
      const isStopped = async () => (gate ? gate.stopped(input.generationId) : false);
      /** The stop reached the instance before our prompt did (or raced it): take the prompt back ourselves. */
      const withdraw = async (id: string) => {
        const outcome = await client.cancel(id).catch((cancelErr: unknown) => `failed: ${String(cancelErr)}`);
        ctx.log.info("prompt of a cancelled generation withdrawn", { generationId: input.generationId, promptId: id, outcome });
      };

      try {
        const { referenceFile, ...params } = input.params;
        const graph = renderTemplate(await loadTemplate(input.template), params);
        reporter.timeWith({ shape: jobShape(graph).key, throughput: throughputOf(instance.name) });
        // A persona's reference picture: into this instance's input folder first, when not there yet.
        if (referenceFile && params.referenceImage) await ensureInputImage(instance, { file: referenceFile, name: params.referenceImage }, signal);
        const startedAt = Date.now();
        let resubmissions = 0;
        let reattached = false;

        // The prompt an earlier attempt sent: from its last heartbeat, or — when the worker died
        // before that heartbeat reached the server — from the claim it wrote before submitting.
        // (A first attempt has no earlier prompt on this instance: a claim then is another
        // instance's, before a failover.)
        const earlier =
          previousPromptId(ctx.info.heartbeatDetails) ?? (ctx.info.attempt > 1 && gate ? await gate.claimedPrompt(input.generationId) : undefined);
        // A retry (after a worker crash or restart) of a cancelled generation: make sure its prompt is
        // gone, and send nothing. (A first attempt is stopped by the claim before its submit.)
        if ((earlier || ctx.info.attempt > 1) && (await isStopped())) {
          if (earlier) await withdraw(earlier);
          throw stoppedFailure(input.generationId);
        }
        if (earlier) {
          const where = await client.locate(earlier, { signal });
          if (where.state === "missing") {
            resubmissions++;
          } else {
            promptId = earlier;
            reattached = true;
          }
        }

        for (;;) {
          if (!promptId) {
            // Chosen and heartbeated before the request goes out: a worker that dies mid-submit
            // leaves the next attempt an id to look for.
            promptId = crypto.randomUUID();
            heartbeat();
            // Recorded on the generation only while it is not stopped: a cancel that came first
            // wins and nothing is sent; one that comes later finds this id to delete or interrupt.
            if (gate && !(await gate.claim(input.generationId, promptId))) throw stoppedFailure(input.generationId);
            promptId = (await client.submit(graph, { promptId, signal })).promptId;
            // The stop may have reached the instance before this prompt did and found nothing there.
            if (await isStopped()) {
              await withdraw(promptId);
              throw stoppedFailure(input.generationId);
            }
          }
          heartbeat();
          const outcome = await client.follow(promptId, onEvent, { signal });
          if (outcome.status === "success") {
            hooks.onFinished?.(input.generationId);
            percent = 100;
            heartbeat();
            // The picture the sampler ended on goes out before the result (one small WebP and one
            // row, tens of ms), so it is never lost to the final event that follows.
            await previews?.finish();
            await reporter.finish(promptId);
            return {
              instance: instance.name,
              promptId,
              outputs: outcome.outputs,
              gpuMs: Math.round(outcome.gpuMs ?? Date.now() - startedAt),
              resubmissions,
              reattached,
            };
          }
          if (resubmissions >= MAX_RESUBMISSIONS) {
            throw new ComfyInstanceUnavailable(
              `ComfyUI instance ${instance.name} (${instance.url}) lost the prompt ${resubmissions + 1} times; it keeps restarting`,
              { instance: instance.name, url: instance.url, cause: "prompt lost repeatedly" },
            );
          }
          // A prompt deleted by a cancel is missing from the instance just like a lost one.
          if (await isStopped()) throw stoppedFailure(input.generationId);
          ctx.log.warn("ComfyUI lost the prompt (restarted?); submitting it again", { generationId: input.generationId, promptId });
          resubmissions++;
          promptId = undefined;
          percent = 0;
        }
      } catch (err) {
        if (cancellation !== undefined) {
          const reason = (cancellation as { message?: string } | undefined)?.message ?? "";
          // A shutting-down worker leaves its prompt running for the next attempt to re-attach to;
          // a cancelled generation's prompt goes.
          const reattachable = REATTACHABLE_CANCELS.has(reason) && !(await isStopped().catch(() => false));
          if (promptId && !reattachable) {
            const outcome = await client.cancel(promptId).catch((cancelErr: unknown) => `failed: ${String(cancelErr)}`);
            ctx.log.info("generation cancelled", { generationId: input.generationId, promptId, outcome, reason });
          }
          throw cancellation;
        }
        if (err instanceof ApplicationFailure && err.type === GPU_WORK_STOPPED) throw err;
        // The interrupt of a cancel ends the prompt as "interrupted": report the cancel, not a failure.
        if (err instanceof ComfyExecutionFailed && (await isStopped().catch(() => false))) throw stoppedFailure(input.generationId);
        throw toFailure(err);
      } finally {
        reporter.stopTracking();
        await previews?.close();
        await reporter.settled();
      }
    },
  };
}

/**
 * The bytes of one output image, for the post-processing activity. Errors stay retryable: the
 * file lives only on that instance, so waiting for it to come back is the only way to get it.
 */
export async function fetchComfyOutput(instanceUrl: string, ref: ComfyOutputRef): Promise<Uint8Array> {
  const url = instanceUrl.replace(/\/+$/, "");
  return readOutput(new ComfyHttp(new URL(url).host, url), ref);
}

export type ComfyActivities = ReturnType<typeof createComfyActivities>;

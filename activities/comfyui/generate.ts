/**
 * The GPU worker's activity: run one generation on this worker's ComfyUI instance.
 *
 * The prompt id is heartbeated before and right after submitting, so when the worker dies
 * mid-job and Temporal retries the activity, the next attempt re-attaches to the prompt already
 * on the GPU instead of paying for it twice. Only a prompt the instance has lost (a restart
 * empties its queue and history) is submitted again.
 */
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import type { ComfyInstance } from "../../lib/config";
import { getComfyClient, readOutput, type ComfyPromptEvent } from "./client";
import { ComfyExecutionFailed, ComfyInstanceUnavailable, ComfyPromptRejected } from "./errors";
import { ComfyHttp } from "./http";
import type { ComfyOutputRef } from "./protocol";
import { ProgressReporter, type ComfyProgress } from "./progress";
import { ComfyTemplateInvalid, InvalidGenerationParams, loadTemplate, renderTemplate, type TemplateParams } from "./template";

export type { ComfyOutputRef } from "./protocol";
export type { ComfyProgress } from "./progress";

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
}

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
      const onEvent = (event: ComfyPromptEvent) => {
        if (promptId) percent = reporter.observe(promptId, event);
        heartbeat();
      };

      try {
        const graph = renderTemplate(await loadTemplate(input.template), input.params);
        const startedAt = Date.now();
        let resubmissions = 0;
        let reattached = false;

        const earlier = previousPromptId(ctx.info.heartbeatDetails);
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
            promptId = (await client.submit(graph, { promptId, signal })).promptId;
          }
          heartbeat();
          const outcome = await client.follow(promptId, onEvent, { signal });
          if (outcome.status === "success") {
            percent = 100;
            heartbeat();
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
          ctx.log.warn("ComfyUI lost the prompt (restarted?); submitting it again", { generationId: input.generationId, promptId });
          resubmissions++;
          promptId = undefined;
          percent = 0;
        }
      } catch (err) {
        if (cancellation !== undefined) {
          if (promptId) {
            const outcome = await client.cancel(promptId).catch((cancelErr: unknown) => `failed: ${String(cancelErr)}`);
            ctx.log.info("generation cancelled", { generationId: input.generationId, promptId, outcome });
          }
          throw cancellation;
        }
        throw toFailure(err);
      } finally {
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

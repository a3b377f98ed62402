/**
 * The AI Horde activity (general queue): run one image on the Horde and store it. The request id is
 * heartbeated, so a retried attempt re-attaches to the request instead of paying kudos twice; a
 * cancelled activity DELETEs the request. Images are stored here (not returned): Horde images are
 * URLs or base64 and would not fit a workflow payload.
 */
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import { InvalidImageError } from "../imaging";
import { storedOutput, storeImageBytes, type ImageBytesDeps } from "../storeImageBytes";
import type { StoredImage } from "../storeImages";
import { HordeClient } from "./client";
import { HordeRequestFailed, HordeRequestRefused } from "./errors";
import { hordeImageBytes, runHordeJob, type HordeImageParams, type HordeProgress } from "./job";

export interface GenerateOnHordeInput {
  generationId: string;
  tenantId: string;
  params: HordeImageParams;
}

export interface GenerateOnHordeResult {
  requestId: string;
  images: StoredImage[];
  workerName?: string;
  /** Wall time from submission to the images, the Horde's equivalent of GPU time. */
  gpuMs: number;
  reattached: boolean;
}

export interface HordeHeartbeat {
  requestId?: string;
}

export interface HordeActivityDeps extends ImageBytesDeps {
  horde: { url?: string; apiKey?: string };
  pollMs: number;
  recordProgress(input: { generationId: string } & HordeProgress): Promise<void>;
}

function toFailure(err: unknown): unknown {
  if (err instanceof HordeRequestFailed || err instanceof HordeRequestRefused || err instanceof InvalidImageError) {
    return ApplicationFailure.nonRetryable(err.message, err.name);
  }
  // Expired, rate-limited for too long, or unavailable: a later attempt may work (and resubmits if needed).
  if (err instanceof Error) return ApplicationFailure.retryable(err.message, err.name);
  return err;
}

export function createHordeActivities(deps: HordeActivityDeps) {
  return {
    async generateOnHorde(input: GenerateOnHordeInput): Promise<GenerateOnHordeResult> {
      if (!deps.horde.url) throw ApplicationFailure.nonRetryable("AI_HORDE_URL is not set; the AI Horde provider is off", "HordeNotConfigured");
      const ctx = Context.current();
      const earlier = (ctx.info.heartbeatDetails ?? {}) as HordeHeartbeat;
      const already = await storedOutput(deps.prisma, input.generationId, 0);
      if (already) {
        // An earlier attempt stored the image and died before returning: nothing left to pay for.
        return { requestId: earlier.requestId ?? "", images: [already], gpuMs: 0, reattached: true };
      }
      const abort = new AbortController();
      let cancellation: unknown;
      ctx.cancelled.catch((err: unknown) => {
        cancellation = err;
        abort.abort(err);
      });
      const client = new HordeClient({ url: deps.horde.url, apiKey: deps.horde.apiKey });
      let requestId = earlier.requestId;
      const startedAt = Date.now();
      try {
        const job = await runHordeJob(client, input.params, {
          previousRequestId: earlier.requestId,
          signal: abort.signal,
          pollMs: deps.pollMs,
          rateLimitBackoffMs: Math.max(deps.pollMs, 250),
          onRequestId: (id) => {
            requestId = id;
            ctx.heartbeat({ requestId } satisfies HordeHeartbeat);
          },
          onPoll: () => ctx.heartbeat({ requestId } satisfies HordeHeartbeat),
          onProgress: (p) =>
            deps.recordProgress({ generationId: input.generationId, ...p }).catch((err: unknown) =>
              ctx.log.warn("Horde progress not recorded", { generationId: input.generationId, error: String(err) }),
            ),
        });
        const images: StoredImage[] = [];
        for (const [outputIndex, generation] of job.generations.entries()) {
          ctx.heartbeat({ requestId } satisfies HordeHeartbeat);
          const seed = Number.parseInt(generation.seed, 10);
          images.push(
            await storeImageBytes(deps, {
              generationId: input.generationId,
              tenantId: input.tenantId,
              outputIndex,
              bytes: hordeImageBytes(generation.img, abort.signal),
              seed: Number.isSafeInteger(seed) ? seed : input.params.seed,
            }),
          );
        }
        return { requestId: job.requestId, images, workerName: job.generations[0]?.worker_name, gpuMs: Date.now() - startedAt, reattached: job.reattached };
      } catch (err) {
        if (cancellation !== undefined) throw cancellation;
        throw toFailure(err);
      }
    },
  };
}

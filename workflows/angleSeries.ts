/**
 * A consistent angle series: one car, several angles, the same car in every picture.
 *
 * The generation service computes the session id and the per-angle seeds from a stable hash (domain/seriesIdentity.ts),
 * so they are inputs here and a replay never recomputes them. The parent writes the series and one
 * generation per angle, then runs every angle as its own child workflow, all at once: each angle
 * picks its own instance, so the angles run in parallel across the pool (and queue on an instance
 * when there are fewer instances than angles). An angle's failure is recorded on that angle and
 * never loses the others; each angle is cancellable on its own through its generation.
 *
 * Per angle the providers are tried in order (ComfyUI, then AI Horde when configured): ComfyUI gives
 * up on an angle when no instance is healthy or the job fails on the GPU, and the Horde serves it.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import {
  angleSeriesRecord,
  type AngleImageInput,
  type AngleOutcome,
  type AngleSeriesInput,
  type AngleSeriesLimits,
  type AngleSeriesResult,
  type BegunAngle,
  type SeriesConsistency,
  type SeriesProvider,
} from "../domain/angleSeries";
import { FailureType } from "../domain/failures";
import { DarkroomKind, DarkroomStatus, DarkroomTenant } from "../domain/searchAttributes";
import { seriesBegunUpdate } from "../domain/signals";
import { REFERENCE_TEMPLATE } from "../domain/templates";
import { localSteps as fast, onHorde, serverSteps } from "./activityProfiles";
import { describeFailure, generateOnSomeInstance } from "./comfyPlacement";

export type { AngleImageInput, AngleOutcome, AngleSeriesInput, AngleSeriesLimits, AngleSeriesResult, SeriesConsistency };

export async function angleSeries(input: AngleSeriesInput): Promise<AngleSeriesResult> {
  let begun: BegunAngle[] | undefined;
  setHandler(seriesBegunUpdate, async () => {
    await condition(() => begun !== undefined);
    return begun!;
  });

  // A local activity: a client that started with Update-with-Start gets its answer right after this write.
  begun = await fast.beginAngleSeries(angleSeriesRecord(input));
  upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);

  const runAngle = async (a: BegunAngle, reference?: { generationId: string }): Promise<AngleOutcome> => {
      try {
        return await executeChild(angleSeriesImage, {
          workflowId: a.workflowId,
          args: [
            {
              generationId: a.generationId,
              tenantId: input.tenantId,
              sessionId: input.sessionId,
              angle: a.angle,
              prompt: a.prompt,
              seed: a.seed,
              template: input.template,
              width: input.width,
              height: input.height,
              negativePrompt: input.negativePrompt,
              providers: input.providers,
              limits: input.limits,
              ...(reference ? { reference } : {}),
            },
          ],
          typedSearchAttributes: [
            { key: DarkroomTenant, value: input.tenantId },
            { key: DarkroomKind, value: "angle_series" },
            { key: DarkroomStatus, value: "pending" },
          ],
        });
      } catch (err) {
        // The child records its own outcome; this only keeps one angle's end from ending the rest.
        return { angle: a.angle, generationId: a.generationId, status: isCancellation(err) ? "cancelled" : "failed", imageIds: [], error: describeFailure(err) };
      }
  };

  let angles: AngleOutcome[];
  const main = begun.find((a) => a.isMain);
  if (input.consistency === "reference" && main && begun.length > 1) {
    // The main view first; the others then start from its picture. If it failed, they go on alone.
    const mainOutcome = await runAngle(main);
    const reference = mainOutcome.status === "completed" ? { generationId: main.generationId } : undefined;
    const rest = await Promise.all(begun.filter((a) => a !== main).map((a) => runAngle(a, reference)));
    angles = begun.map((a) => (a === main ? mainOutcome : rest.find((o) => o.generationId === a.generationId)!));
  } else {
    angles = await Promise.all(begun.map((a) => runAngle(a)));
  }

  const status = await CancellationScope.nonCancellable(() => fast.finishAngleSeries({ sessionId: input.sessionId, tenantId: input.tenantId }));
  upsertSearchAttributes([{ key: DarkroomStatus, value: status }]);
  return { sessionId: input.sessionId, status, angles };
}

/** One angle of a series: one generation, made by the first provider that can. */
export async function angleSeriesImage(input: AngleImageInput): Promise<AngleOutcome> {
  const deadline = Date.now() + input.limits.generationTimeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const base = { angle: input.angle, generationId: input.generationId };
  try {
    const made = await makeWithProviders(input, remaining);
    await fast.completeSeriesAngle({
      generationId: input.generationId,
      imageIds: made.imageIds,
      gpuMs: made.gpuMs,
      provider: made.provider,
      instance: made.instance,
      requestId: made.requestId,
    });
    upsertSearchAttributes([{ key: DarkroomStatus, value: "completed" }]);
    return { ...base, status: "completed", provider: made.provider, imageIds: made.imageIds };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await fast.stopGpuWork({ generationId: input.generationId });
        await fast.cancelGeneration({ generationId: input.generationId });
      });
      upsertSearchAttributes([{ key: DarkroomStatus, value: "cancelled" }]);
      throw err;
    }
    const error = describeFailure(err);
    await fast.failSeriesAngle({ generationId: input.generationId, error });
    upsertSearchAttributes([{ key: DarkroomStatus, value: "failed" }]);
    return { ...base, status: "failed", imageIds: [], error };
  }
}

interface MadeImage {
  provider: SeriesProvider;
  instance?: string;
  requestId: string;
  imageIds: string[];
  gpuMs: number;
}

async function makeWithProviders(input: AngleImageInput, remaining: () => number): Promise<MadeImage> {
  const problems: string[] = [];
  for (const [i, provider] of input.providers.entries()) {
    const last = i === input.providers.length - 1;
    try {
      if (provider === "comfyui") {
        const made = await generateOnSomeInstance({
          generationId: input.generationId,
          template: input.template,
          params: { prompt: input.prompt, negativePrompt: input.negativePrompt, seed: input.seed, width: input.width, height: input.height },
          pickupTimeoutMs: input.limits.pickupTimeoutMs,
          heartbeatTimeoutMs: input.limits.heartbeatTimeoutMs,
          remaining,
          // With a provider behind it, an empty pool hands the angle on instead of waiting.
          whenNoneHealthy: last ? "wait" : "give-up",
          onInstance: async (instance) => {
            await fast.markAngleGenerating({ generationId: input.generationId, provider: "comfyui", instance });
            upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
          },
          // The reference lives in darkroom's storage: upload it to whichever instance got the job.
          prepare: input.reference
            ? async (instance) => ({
                template: REFERENCE_TEMPLATE,
                params: { referenceImage: await fast.uploadReference({ sourceGenerationId: input.reference!.generationId, instance }) },
              })
            : undefined,
        });
        const images = await serverSteps.storeImages({
          generationId: input.generationId,
          tenantId: input.tenantId,
          instance: made.instance,
          outputs: made.outputs,
          seed: input.seed,
        });
        return { provider, instance: made.instance, requestId: made.promptId, imageIds: images.map((img) => img.id), gpuMs: made.gpuMs };
      }
      await fast.markAngleGenerating({ generationId: input.generationId, provider: "horde" });
      upsertSearchAttributes([{ key: DarkroomStatus, value: "generating" }]);
      const horde = onHorde({ startToCloseMs: remaining(), heartbeatTimeoutMs: input.limits.hordeHeartbeatTimeoutMs });
      const made = await horde.generateOnHorde({
        generationId: input.generationId,
        tenantId: input.tenantId,
        params: { prompt: input.prompt, negativePrompt: input.negativePrompt, seed: input.seed, width: input.width, height: input.height },
      });
      return { provider, requestId: made.requestId, imageIds: made.images.map((img) => img.id), gpuMs: made.gpuMs };
    } catch (err) {
      if (isCancellation(err)) throw err;
      problems.push(`${provider}: ${describeFailure(err)}`);
    }
  }
  throw ApplicationFailure.nonRetryable(
    problems.length ? `No provider could make the image. ${problems.join("; ")}` : "No image provider is configured",
    FailureType.AllProvidersFailed,
  );
}

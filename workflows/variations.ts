/**
 * Variations (a flow of the task API): N pictures of one prompt — given, or taken from a stored
 * generation — each with its own seed, made one after another on the ComfyUI pool. Each variation
 * is a step of the task: its share of the progress bar, then its image as a step result.
 *
 * Deterministic orchestration only: the seeds were drawn by the API before the start.
 */
import { CancellationScope, isCancellation } from "@temporalio/workflow";
import { variationsRecord, type VariationsInput, type VariationsResult } from "../domain/variations";
import { localSteps as fast, serverSteps as general } from "./activityProfiles";
import { describeFailure, generateOnSomeInstance } from "./comfyPlacement";

export type { VariationsInput, VariationsResult };

export async function variations(input: VariationsInput): Promise<VariationsResult> {
  const { generationId } = input;
  const deadline = Date.now() + input.limits.generationTimeoutMs;
  await fast.beginTask(variationsRecord(input));
  try {
    const imageIds: string[] = [];
    let gpuMs = 0;
    const count = input.seeds.length;
    for (const [i, seed] of input.seeds.entries()) {
      const from = Math.round((i * 100) / count);
      const to = Math.round(((i + 1) * 100) / count);
      await fast.recordTaskStep({ generationId, key: `start:${i}`, status: `Variation ${i + 1} of ${count}`, range: [from, to] });
      const made = await generateOnSomeInstance({
        generationId,
        template: input.template,
        params: { prompt: input.prompt, negativePrompt: input.negativePrompt, seed, width: input.width, height: input.height, ...input.identity },
        pickupTimeoutMs: input.limits.pickupTimeoutMs,
        heartbeatTimeoutMs: input.limits.heartbeatTimeoutMs,
        remaining: () => Math.max(1, deadline - Date.now()),
        onInstance: (instance) => fast.markGenerating({ generationId, instance }),
        whenNoneHealthy: "wait",
      });
      gpuMs += made.gpuMs;
      const [image] = await general.storeImages({ generationId, tenantId: input.tenantId, instance: made.instance, outputs: made.outputs.slice(0, 1), seed, firstOutputIndex: i });
      imageIds.push(image!.id);
      await fast.recordTaskStep({
        generationId,
        key: `done:${i}`,
        progress: to,
        step: { type: "tool_result", step_name: `Variation ${i + 1} of ${count}`, tool: "comfyui", data: { imageId: image!.id, seed } },
      });
    }
    const images = await fast.completeTask({ generationId, imageIds, gpuMs });
    return { status: "completed", images };
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        await fast.stopGpuWork({ generationId });
        await fast.cancelGeneration({ generationId });
      });
      throw err;
    }
    await fast.failTask({ generationId, error: describeFailure(err) });
    return { status: "failed", images: [] };
  }
}

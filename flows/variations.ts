/**
 * Variations: N pictures of one prompt with different seeds — the prompt given, or taken from a
 * stored generation (`sourceGenerationId`). Runs the `variations` workflow; each variation is a
 * step of the task with its share of the progress bar.
 */
import { randomInt } from "node:crypto";
import { t } from "elysia";
import { createTaskRecords } from "../activities/db/tasks";
import { plainImagePrompt } from "../domain/imagePrompt";
import type { VariationsInput } from "../workflows/variations";
import { defineFlow, FlowInputInvalid } from "./flow";

const NEGATIVE_PROMPT = "blurry, lowres, deformed, watermark, text";
const MAX_SEED = 2 ** 47;

export const variationsFlow = defineFlow({
  name: "variations",
  description: "N variations of a prompt, or of a stored generation's prompt, each with its own seed.",
  inputs: t.Object({
    prompt: t.Optional(t.String({ minLength: 1, maxLength: 2000, description: "What to draw; or give sourceGenerationId" })),
    sourceGenerationId: t.Optional(t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$", description: "A stored generation whose prompt and size to vary" })),
    count: t.Optional(t.Number({ multipleOf: 1, minimum: 1, maximum: 8, default: 4, description: "How many variations (default 4)" })),
    width: t.Optional(t.Number({ minimum: 64, maximum: 2048, multipleOf: 8 })),
    height: t.Optional(t.Number({ minimum: 64, maximum: 2048, multipleOf: 8 })),
  }),
  async start(ctx, { tenantId, inputs }) {
    if ((inputs.prompt === undefined) === (inputs.sourceGenerationId === undefined)) {
      throw new FlowInputInvalid(inputs.prompt === undefined ? "prompt" : "sourceGenerationId", "— give exactly one of prompt and sourceGenerationId");
    }
    let prompt = inputs.prompt ? plainImagePrompt(inputs.prompt) : "";
    let description = inputs.prompt ?? "";
    let size = { width: inputs.width ?? 768, height: inputs.height ?? 768 };
    if (inputs.sourceGenerationId) {
      // Another tenant's generation is as unknown as a missing one.
      const source = await ctx.prisma.generation.findFirst({ where: { id: inputs.sourceGenerationId, tenantId } });
      if (!source) throw new FlowInputInvalid("sourceGenerationId", `— no generation "${inputs.sourceGenerationId}"`);
      prompt = source.prompt ?? plainImagePrompt(source.description);
      description = source.description;
      size = { width: inputs.width ?? source.width ?? 768, height: inputs.height ?? source.height ?? 768 };
    }
    const generationId = crypto.randomUUID();
    const workflowId = `darkroom/variations/${generationId}`;
    const input: VariationsInput = {
      generationId,
      tenantId,
      description: `Variations of: ${description}`.slice(0, 2000),
      prompt,
      negativePrompt: NEGATIVE_PROMPT,
      seeds: Array.from({ length: inputs.count ?? 4 }, () => randomInt(MAX_SEED)),
      ...size,
      template: ctx.config.comfy.defaultTemplate,
      inputs: inputs as Record<string, unknown>,
      limits: {
        generationTimeoutMs: ctx.config.generationTimeoutMs,
        pickupTimeoutMs: ctx.config.comfy.pickupTimeoutMs,
        heartbeatTimeoutMs: ctx.config.comfy.heartbeatTimeoutMs,
      },
    };
    await ctx.temporal.workflow.start("variations", { workflowId, taskQueue: ctx.config.temporal.taskQueue, args: [input], workflowIdConflictPolicy: "FAIL" });
    // Read-your-writes: GET /v1/tasks/:id works at once (the workflow records the same row idempotently).
    await createTaskRecords({ prisma: ctx.prisma, imageUrls: (id) => ({ url: ctx.signer.imageUrl(id), thumbnailUrl: ctx.signer.imageUrl(id, "thumb") }) }).beginTask({
      generationId,
      tenantId,
      kind: "variations",
      description: input.description,
      prompt,
      negativePrompt: NEGATIVE_PROMPT,
      inputs: input.inputs,
      width: size.width,
      height: size.height,
      template: input.template,
      workflowId,
    });
    return { taskId: generationId };
  },
});

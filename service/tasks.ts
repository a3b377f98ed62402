/**
 * The task view of a generation (the flow registry's tasks): its state folded from its events, and
 * the `variations` flow, which exists only as a task.
 */
import { randomInt } from "node:crypto";
import { plainImagePrompt } from "../domain/imagePrompt";
import { variationsRecord, variationsWorkflowId, type VariationsInput } from "../domain/variations";
import { TaskFold } from "../lib/live/taskState";
import { variations } from "../workflows/variations";
import type { ServiceDeps } from "./deps";
import { notFound, ServiceRefusal } from "./errors";
import { quotaService, startSpending } from "./quotas";
import { personaAvailableOrRefuse } from "./personaAvailability";
import { startGeneration } from "./startGeneration";

const VARIATIONS_NEGATIVE_PROMPT = "blurry, lowres, deformed, watermark, text";
const MAX_SEED = 2 ** 47;

export interface VariationsRequest {
  tenantId: string;
  prompt?: string;
  sourceGenerationId?: string;
  count?: number;
  width?: number;
  height?: number;
  /** A persona file's id: its template, size and identity. */
  persona?: string;
}

export function taskService(deps: ServiceDeps) {
  const { prisma, config } = deps;
  const quotas = quotaService(deps);
  return {
    /** The task's state now, folded from its events (the same fold the live streams use). */
    async state(tenantId: string, taskId: string) {
      const g = await prisma.generation.findFirst({ where: { id: taskId, tenantId }, select: { id: true } });
      if (!g) throw notFound("Task", taskId);
      const fold = new TaskFold();
      const events = await prisma.event.findMany({ where: { tenantId, generationId: taskId }, orderBy: { id: "asc" } });
      for (const e of events) fold.apply(e.type, e.payload as Record<string, unknown>);
      return fold.snapshot();
    },

    /** N pictures of one prompt (given, or a stored generation's), each with its own seed. */
    async startVariations(r: VariationsRequest): Promise<{ taskId: string }> {
      if ((r.prompt === undefined) === (r.sourceGenerationId === undefined)) {
        const field = r.prompt === undefined ? "prompt" : "sourceGenerationId";
        throw new ServiceRefusal("invalid", "invalid_inputs", `inputs.${field} — give exactly one of prompt and sourceGenerationId`, [
          { field: `inputs.${field}`, problem: "give exactly one of prompt and sourceGenerationId" },
        ]);
      }
      let prompt = r.prompt ? plainImagePrompt(r.prompt) : "";
      let description = r.prompt ?? "";
      let size = { width: r.width ?? 768, height: r.height ?? 768 };
      let personaId = r.persona;
      if (r.sourceGenerationId) {
        // Another tenant's generation is as unknown as a missing one.
        const source = await prisma.generation.findFirst({ where: { id: r.sourceGenerationId, tenantId: r.tenantId } });
        if (!source) {
          throw new ServiceRefusal("invalid", "invalid_inputs", `inputs.sourceGenerationId — no generation "${r.sourceGenerationId}"`, [
            { field: "inputs.sourceGenerationId", problem: `no generation "${r.sourceGenerationId}"` },
          ]);
        }
        prompt = source.prompt ?? plainImagePrompt(source.description);
        description = source.description;
        size = { width: r.width ?? source.width ?? 768, height: r.height ?? source.height ?? 768 };
        personaId ??= (source.persona as { id?: string } | null)?.id;
      }
      // A persona file brings its template and identity, so the variations are the same character.
      const persona = personaId ? deps.personas.find(personaId) : undefined;
      if (r.persona && !persona) {
        const problem = `no persona "${r.persona}" (known: ${deps.personas.ids().join(", ")})`;
        throw new ServiceRefusal("invalid", "invalid_inputs", `inputs.persona — ${problem}`, [{ field: "inputs.persona", problem }]);
      }
      if (persona) {
        await personaAvailableOrRefuse(deps.personas, persona);
        if (!r.sourceGenerationId) size = { width: r.width ?? persona.width ?? 768, height: r.height ?? persona.height ?? 768 };
      }
      const generationId = crypto.randomUUID();
      const { tenantId, ...inputs } = r;
      const input: VariationsInput = {
        generationId,
        tenantId,
        description: `Variations of: ${description}`.slice(0, 2000),
        prompt,
        negativePrompt: persona?.negativePrompt ?? VARIATIONS_NEGATIVE_PROMPT,
        seeds: Array.from({ length: r.count ?? 4 }, () => randomInt(MAX_SEED)),
        ...size,
        template: persona?.templatePath ?? config.comfy.defaultTemplate,
        ...(persona && Object.keys(persona.identity).length ? { identity: persona.identity } : {}),
        inputs: Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)),
        limits: {
          generationTimeoutMs: config.generationTimeoutMs,
          pickupTimeoutMs: config.comfy.pickupTimeoutMs,
          heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
        },
      };
      // No chat user here: every variation counts against the tenant's daily quota.
      const reservation = await quotas.reserve({ tenantId, images: input.seeds.length });
      await startSpending(reservation, (started) => startGeneration(
        deps,
        {
          workflow: variations,
          workflowId: variationsWorkflowId(generationId),
          taskQueue: config.temporal.taskQueue,
          input,
          tenantId,
          kind: "variations",
          onConflict: "fail",
        },
        () => {
          started();
          return deps.records.beginTask(variationsRecord(input));
        },
      ));
      return { taskId: generationId };
    },
  };
}

/**
 * Variations (a flow of the task API): N pictures of one prompt, each with its own seed drawn before
 * the start; each variation is a step of the task.
 */
import { generationWorkflowId, type FinalStatus, type TaskRecord } from "./generation";
import type { PersonaIdentity } from "./templates";

export const variationsWorkflowId = (generationId: string) => generationWorkflowId("variations", generationId);

export interface VariationsInput {
  generationId: string;
  tenantId: string;
  description: string;
  prompt: string;
  negativePrompt: string;
  seeds: number[];
  width: number;
  height: number;
  template?: string;
  /** The persona's reference picture and LoRA, so every variation is the same character. */
  identity?: PersonaIdentity;
  /** What the client asked for, kept on the record. */
  inputs: Record<string, unknown>;
  limits: { generationTimeoutMs: number; pickupTimeoutMs: number; heartbeatTimeoutMs: number };
}

export interface TaskImage {
  imageId: string;
  url: string;
  thumbnailUrl: string;
  width: number;
  height: number;
  seed: number | null;
}

export interface VariationsResult {
  status: FinalStatus;
  images: TaskImage[];
}

/** The record both the API and the workflow's first step write for this task. */
export function variationsRecord(input: VariationsInput): TaskRecord {
  return {
    generationId: input.generationId,
    tenantId: input.tenantId,
    kind: "variations",
    description: input.description,
    prompt: input.prompt,
    negativePrompt: input.negativePrompt,
    inputs: input.inputs,
    width: input.width,
    height: input.height,
    template: input.template,
    workflowId: variationsWorkflowId(input.generationId),
  };
}

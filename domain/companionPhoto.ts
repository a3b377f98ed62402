/**
 * A companion photo: the chat gets an in-character waiting message at once, the picture is made in
 * the background, and an in-character completion message with the image follows.
 */
import type { PersonaIdentity } from "./templates";
import { generationWorkflowId, type FinalStatus, type GenerationRecord } from "./generation";
import type { ChatMessage } from "./messages";

export const companionPhotoWorkflowId = (generationId: string) => generationWorkflowId("companion_photo", generationId);

export interface CompanionPhotoInput
  extends Pick<GenerationRecord, "generationId" | "tenantId" | "conversationId" | "description" | "persona" | "language" | "waitingMessage"> {
  agentId: string;
  userId: string;
  /** Path of an API-format ComfyUI template; undefined means the built-in one. */
  template?: string;
  width: number;
  height: number;
  negativePrompt: string;
  /** Whether an LLM rewrites descriptions into image prompts (else the description is the prompt). */
  llmPrompts?: boolean;
  /** A persona file's reference picture and LoRA, for its template. */
  identity?: PersonaIdentity;
  /**
   * Drawn before the start for a regenerated photo (so it differs from the original's); absent,
   * the workflow draws one itself, as every run before regeneration existed did.
   */
  seed?: number;
  /** A regenerated photo's prompt, the original's as recorded; absent, the workflow builds it. */
  prompt?: string;
  /** "Take another one": the generation this photo makes again. */
  regeneratedFrom?: string;
  limits: {
    maxConcurrentPerUser: number;
    generationTimeoutMs: number;
    /** How long a job waits for its instance's worker before failing over to another instance. */
    pickupTimeoutMs: number;
    heartbeatTimeoutMs: number;
  };
}

export interface CompanionPhotoResult {
  status: FinalStatus;
  imageIds: string[];
  message?: ChatMessage;
}

/** The record both the API and the workflow's first step write for this photo. */
export function companionPhotoRecord(input: CompanionPhotoInput): GenerationRecord {
  return {
    generationId: input.generationId,
    tenantId: input.tenantId,
    kind: "companion_photo",
    agentId: input.agentId,
    userId: input.userId,
    conversationId: input.conversationId,
    description: input.description,
    persona: input.persona,
    language: input.language,
    template: input.template,
    width: input.width,
    height: input.height,
    negativePrompt: input.negativePrompt,
    workflowId: companionPhotoWorkflowId(input.generationId),
    waitingMessage: input.waitingMessage,
    ...(input.regeneratedFrom ? { regeneratedFrom: input.regeneratedFrom } : {}),
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
  };
}

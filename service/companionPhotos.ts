/**
 * Starting a companion photo from the client side, one Temporal workflow per `[IMAGE: …]` tag.
 *
 * The chat's answer must come back in milliseconds, so the API composes the waiting message itself
 * (templates, or the LLM within its budget), starts the workflow with that message in its input —
 * one round trip to Temporal, no waiting on a worker — and records it for read-your-writes. The
 * workflow's first step records the same message idempotently, so nothing is lost if the API dies
 * right after the start. (The workflow also answers the `waitingMessage` update, for clients that
 * prefer Update-with-Start.)
 */
import type { Client } from "@temporalio/client";
import type { BeginGenerationInput, ChatMessage, GenerationActivities } from "../activities/db/generations";
import type { ComposeMessageInput, ComposedMessage, Persona } from "../activities/llm";
import { companionPhoto, type CompanionPhotoInput } from "../workflows/companionPhoto";
import type { Config } from "../lib/config";
import type { Language } from "../lib/language";
import { DarkroomAgent, DarkroomKind, DarkroomStatus, DarkroomTenant, DarkroomUser } from "../domain/searchAttributes";

export const KIND = "companion_photo";
export const workflowIdFor = (generationId: string) => `darkroom/${KIND}/${generationId}`;

const NEGATIVE_PROMPT = "blurry, lowres, deformed, extra fingers, watermark, text, nsfw";

export interface CompanionPhotoRequest {
  generationId: string;
  tenantId: string;
  agentId: string;
  userId: string;
  conversationId?: string;
  description: string;
  persona: Persona;
  language: Language;
  /** The persona file's own template, negative prompt and size, when `persona.id` names one. */
  look?: PersonaLook;
}

export interface PersonaLook {
  template: string;
  negativePrompt: string;
  width: number;
  height: number;
}

export function companionPhotoInput(config: Config, r: CompanionPhotoRequest): CompanionPhotoInput {
  const { look, ...request } = r;
  return {
    ...request,
    template: look?.template ?? config.comfy.defaultTemplate,
    llmPrompts: config.llm !== undefined,
    width: look?.width ?? 768,
    height: look?.height ?? 1024,
    negativePrompt: look?.negativePrompt ?? NEGATIVE_PROMPT,
    limits: {
      maxConcurrentPerUser: config.maxConcurrentGenerations,
      generationTimeoutMs: config.generationTimeoutMs,
      pickupTimeoutMs: config.comfy.pickupTimeoutMs,
      heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
    },
  };
}

export interface CompanionPhotoStarter {
  temporal: Client;
  config: Config;
  composeMessage(input: ComposeMessageInput): Promise<ComposedMessage>;
  beginGeneration: GenerationActivities["beginGeneration"];
}

export async function startCompanionPhoto(deps: CompanionPhotoStarter, r: CompanionPhotoRequest): Promise<ChatMessage> {
  const workflowId = workflowIdFor(r.generationId);
  const composed = await deps.composeMessage({
    kind: "waiting",
    persona: r.persona,
    description: r.description,
    language: r.language,
    variantSeed: `${r.generationId}:waiting`,
  });
  const input: CompanionPhotoInput = {
    ...companionPhotoInput(deps.config, r),
    waitingMessage: { id: crypto.randomUUID(), content: composed.content },
  };
  await deps.temporal.workflow.start(companionPhoto, {
    workflowId,
    taskQueue: deps.config.temporal.taskQueue,
    args: [input],
    workflowIdConflictPolicy: "FAIL",
    typedSearchAttributes: searchAttributes(r.tenantId, r.agentId, r.userId),
  });
  const begin: BeginGenerationInput = {
    generationId: r.generationId,
    tenantId: r.tenantId,
    kind: KIND,
    agentId: r.agentId,
    userId: r.userId,
    conversationId: r.conversationId,
    description: r.description,
    persona: r.persona,
    language: r.language,
    template: input.template,
    width: input.width,
    height: input.height,
    negativePrompt: input.negativePrompt,
    workflowId,
    waitingMessage: input.waitingMessage,
  };
  return deps.beginGeneration(begin);
}

function searchAttributes(tenantId: string, agentId: string, userId: string) {
  return [
    { key: DarkroomTenant, value: tenantId },
    { key: DarkroomKind, value: KIND },
    { key: DarkroomAgent, value: agentId },
    { key: DarkroomUser, value: userId },
    { key: DarkroomStatus, value: "pending" },
  ];
}

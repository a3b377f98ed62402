/**
 * Starting a companion photo from the client side: one Temporal workflow per `[IMAGE: …]` tag,
 * started with Update-with-Start so the same round trip returns the in-character waiting message.
 */
import { WithStartWorkflowOperation, type Client } from "@temporalio/client";
import type { ChatMessage } from "../activities/db/generations";
import type { Persona } from "../activities/llm";
import { companionPhoto, waitingMessageUpdate, type CompanionPhotoInput } from "../workflows/companionPhoto";
import type { Config } from "./config";
import type { Language } from "./language";
import { DarkroomAgent, DarkroomKind, DarkroomStatus, DarkroomTenant, DarkroomUser } from "./temporal/searchAttributes";

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
}

export function companionPhotoInput(config: Config, r: CompanionPhotoRequest): CompanionPhotoInput {
  return {
    ...r,
    template: config.comfy.defaultTemplate,
    width: 768,
    height: 1024,
    negativePrompt: NEGATIVE_PROMPT,
    limits: {
      maxConcurrentPerUser: config.maxConcurrentGenerations,
      generationTimeoutMs: config.generationTimeoutMs,
      pickupTimeoutMs: config.comfy.pickupTimeoutMs,
      heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
    },
  };
}

export async function startCompanionPhoto(temporal: Client, config: Config, r: CompanionPhotoRequest): Promise<ChatMessage> {
  const workflowId = workflowIdFor(r.generationId);
  const start = new WithStartWorkflowOperation(companionPhoto, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [companionPhotoInput(config, r)],
    // A retry of a failed or cancelled generation reuses its id; a running one is never started twice.
    workflowIdConflictPolicy: "FAIL",
    typedSearchAttributes: [
      { key: DarkroomTenant, value: r.tenantId },
      { key: DarkroomKind, value: KIND },
      { key: DarkroomAgent, value: r.agentId },
      { key: DarkroomUser, value: r.userId },
      { key: DarkroomStatus, value: "pending" },
    ],
  });
  return temporal.workflow.executeUpdateWithStart(waitingMessageUpdate, { startWorkflowOperation: start });
}

/** Runs a failed or cancelled companion photo again under the same id; the chat keeps its waiting message. */
export async function restartCompanionPhoto(
  temporal: Client,
  config: Config,
  g: { id: string; tenantId: string; agentId: string | null; userId: string | null; conversationId: string | null; description: string; persona: unknown; language: string },
): Promise<void> {
  const input = companionPhotoInput(config, {
    generationId: g.id,
    tenantId: g.tenantId,
    agentId: g.agentId ?? "",
    userId: g.userId ?? "",
    conversationId: g.conversationId ?? undefined,
    description: g.description,
    persona: (g.persona ?? { name: g.agentId ?? "", personality: "" }) as Persona,
    language: g.language as Language,
  });
  await temporal.workflow.start(companionPhoto, {
    workflowId: workflowIdFor(g.id),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    workflowIdReusePolicy: "ALLOW_DUPLICATE",
    typedSearchAttributes: [
      { key: DarkroomTenant, value: g.tenantId },
      { key: DarkroomKind, value: KIND },
      { key: DarkroomAgent, value: g.agentId ?? "" },
      { key: DarkroomUser, value: g.userId ?? "" },
      { key: DarkroomStatus, value: "pending" },
    ],
  });
}

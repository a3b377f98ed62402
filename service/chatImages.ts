/** Starting a chat-image workflow from the API: one Temporal workflow per triggered picture. */
import type { Client } from "@temporalio/client";
import { chatImage, type ChatImageInput } from "../workflows/chatImage";
import type { Config } from "../lib/config";
import type { DeliveryTargets } from "../lib/deliveryTargets";
import type { PersonaDefinition } from "../activities/personas";
import { DarkroomDialog, DarkroomKind, DarkroomStatus, DarkroomTenant } from "../domain/searchAttributes";

export const CHAT_IMAGE_KIND = "chat_image";
export const chatImageWorkflowId = (generationId: string) => `darkroom/${CHAT_IMAGE_KIND}/${generationId}`;

export interface ChatImageRequest {
  generationId: string;
  tenantId: string;
  dialogId: string;
  persona: PersonaDefinition;
  seed: number;
  delivery: DeliveryTargets;
}

export function chatImageInput(config: Config, r: ChatImageRequest): ChatImageInput {
  return {
    generationId: r.generationId,
    tenantId: r.tenantId,
    dialogId: r.dialogId,
    personaId: r.persona.id,
    checkpoint: r.persona.checkpoint,
    template: r.persona.templatePath,
    seed: r.seed,
    width: r.persona.width,
    height: r.persona.height,
    negativePrompt: r.persona.negativePrompt,
    delivery: r.delivery,
    limits: {
      timeoutMs: config.chatImages.timeoutMs,
      pickupTimeoutMs: config.comfy.pickupTimeoutMs,
      heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
      delivery: config.delivery,
    },
  };
}

export async function startChatImage(temporal: Client, config: Config, r: ChatImageRequest): Promise<string> {
  const workflowId = chatImageWorkflowId(r.generationId);
  await temporal.workflow.start(chatImage, {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [chatImageInput(config, r)],
    workflowIdConflictPolicy: "FAIL",
    typedSearchAttributes: [
      { key: DarkroomTenant, value: r.tenantId },
      { key: DarkroomKind, value: CHAT_IMAGE_KIND },
      { key: DarkroomDialog, value: r.dialogId },
      { key: DarkroomStatus, value: "pending" },
    ],
  });
  return workflowId;
}

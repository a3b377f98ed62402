/**
 * A chat-triggered persona image: every few dialog messages a picture is made with the persona's
 * own template and delivered to the dialog's Telegram chat and/or signed webhook.
 */
import type { DeliveryTargets } from "../lib/deliveryTargets";
import { generationWorkflowId, type GenerationRecord } from "./generation";
import type { PersonaIdentity } from "./templates";

export type { DeliveryTargets };

export const chatImageWorkflowId = (generationId: string) => generationWorkflowId("chat_image", generationId);

export interface ChatImageInput {
  generationId: string;
  tenantId: string;
  dialogId: string;
  personaId: string;
  checkpoint: string;
  /** Absolute path of the persona's API-format template. */
  template: string;
  seed: number;
  width: number;
  height: number;
  negativePrompt: string;
  /** The persona's reference picture and LoRA, for its template (absent in runs started before personas had them). */
  identity?: PersonaIdentity;
  delivery: DeliveryTargets;
  /**
   * What the first write records. Absent in runs started before the workflow wrote its own first
   * record (the API wrote it alone then).
   */
  trigger?: {
    messageNumber: number;
    /** The dialog message that triggered the picture (the record's description). */
    text: string;
    persona: { name: string; personality: string; language: string };
  };
  /** "Take another one": the generation this picture makes again (same trigger, a new seed). */
  regeneratedFrom?: string;
  /** A regenerated picture's in-character "let me take another one", written with the first record. */
  waitingMessage?: { id: string; content: string };
  limits: {
    timeoutMs: number;
    pickupTimeoutMs: number;
    heartbeatTimeoutMs: number;
    delivery: { maxAttempts: number; initialRetryMs: number; maxRetryMs: number };
  };
}

export interface ChatImageResult {
  /** `refused`: the content policy stopped the prompt; the deliveries carry the persona's refusal. */
  status: "completed" | "failed" | "refused";
  imageIds: string[];
  fromCache: boolean;
  deliveries: Array<{ channel: "telegram" | "webhook"; status: "delivered" | "failed" }>;
}

export interface ChatImageRecord extends GenerationRecord {
  seed: number;
  messageNumber: number;
  checkpoint: string;
  deliveries: Array<{ channel: "telegram" | "webhook"; target: string }>;
}

/** The record both the dialog service and the workflow's first step write for this picture. */
export function chatImageRecord(input: ChatImageInput & { trigger: NonNullable<ChatImageInput["trigger"]> }): ChatImageRecord {
  const { trigger } = input;
  return {
    generationId: input.generationId,
    tenantId: input.tenantId,
    kind: "chat_image",
    dialogId: input.dialogId,
    conversationId: input.dialogId,
    description: trigger.text.slice(0, 2000),
    persona: { id: input.personaId, ...trigger.persona },
    language: trigger.persona.language as GenerationRecord["language"],
    template: input.template,
    width: input.width,
    height: input.height,
    negativePrompt: input.negativePrompt,
    workflowId: chatImageWorkflowId(input.generationId),
    seed: input.seed,
    messageNumber: trigger.messageNumber,
    checkpoint: input.checkpoint,
    ...(input.regeneratedFrom ? { regeneratedFrom: input.regeneratedFrom } : {}),
    ...(input.waitingMessage ? { waitingMessage: input.waitingMessage } : {}),
    deliveries: [
      ...(input.delivery.telegram ? [{ channel: "telegram" as const, target: input.delivery.telegram.chatId }] : []),
      ...(input.delivery.webhook ? [{ channel: "webhook" as const, target: input.delivery.webhook.url }] : []),
    ],
  };
}

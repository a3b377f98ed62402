/**
 * What a generation is and where it is in its life. One definition for the API, the service, the
 * workflows and the activities; the database holds the same values as PostgreSQL enums (a test
 * keeps the two lists equal). Pure, so workflows may import it.
 */
import type { Language, Persona } from "./messages";

/** Which flow made a generation. */
export const GENERATION_KINDS = ["companion_photo", "angle_series", "chat_image", "variations"] as const;
export type GenerationKind = (typeof GENERATION_KINDS)[number];

/** `refused`: the content policy stopped the prompt before any GPU work; the chat got a refusal. */
export const GENERATION_STATUSES = ["pending", "generating", "completed", "failed", "cancelled", "refused"] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

/** The final states: nothing changes a generation in one of these but an explicit retry or reset. */
export const FINAL_STATUSES = ["completed", "failed", "cancelled", "refused"] as const satisfies readonly GenerationStatus[];
export type FinalStatus = (typeof FINAL_STATUSES)[number];
/** Not final yet: waiting for a slot or an instance, or on the GPU. */
export const OPEN_STATUSES = ["pending", "generating"] as const satisfies readonly GenerationStatus[];

export const isFinal = (status: GenerationStatus): status is FinalStatus => (FINAL_STATUSES as readonly string[]).includes(status);

/**
 * Final states a new run may start over from; a completed generation is never made again, and a
 * refused one never started (the same prompt would be refused again).
 */
export const REOPENABLE_STATUSES = ["failed", "cancelled"] as const satisfies readonly GenerationStatus[];
export const isReopenable = (status: GenerationStatus): boolean => (REOPENABLE_STATUSES as readonly string[]).includes(status);

/** The events that close a generation's stream; each carries the id of the workflow run that wrote it. */
export const FINAL_EVENT_TYPES = ["image:completed", "image:failed", "image:cancelled"] as const;
export const isFinalEvent = (type: string): boolean => (FINAL_EVENT_TYPES as readonly string[]).includes(type);

/** A series ends completed (every angle), partial (some), failed (none) or cancelled. */
export const SERIES_STATUSES = ["pending", "generating", "completed", "partial", "failed", "cancelled"] as const;
export type SeriesStatus = (typeof SERIES_STATUSES)[number];
export const FINAL_SERIES_STATUSES = ["completed", "partial", "failed", "cancelled"] as const satisfies readonly SeriesStatus[];
export const isFinalSeries = (status: SeriesStatus): boolean => (FINAL_SERIES_STATUSES as readonly string[]).includes(status);

export const DELIVERY_STATUSES = ["pending", "retrying", "delivered", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Every generation's workflow: `darkroom/<kind>/<id>`, what operators search for in the Web UI. */
export const generationWorkflowId = (kind: GenerationKind, id: string) => `darkroom/${kind}/${id}`;

/** The fields a new run starts from: back to pending, no outcome, no slot, no progress. */
export function reopenedGeneration() {
  return {
    status: "pending" as GenerationStatus,
    errorMessage: null,
    completedMessageId: null,
    completedAt: null,
    startedAt: null,
    slotClaimedAt: null,
    slotReleasedAt: null,
    queuePosition: null,
    etaSeconds: null,
    progressPercent: 0,
    progressStep: null,
    progressOf: null,
    instance: null,
    requestId: null,
    gpuStoppedAt: null,
  };
}

/**
 * A generation's first write: the record, and for chat flows its waiting message. Both the API (for
 * read-your-writes) and the workflow's first step (so nothing is lost if the API dies) write it;
 * each flow builds it from its workflow input with one pure function, so the writers cannot drift.
 */
export interface GenerationRecord {
  generationId: string;
  tenantId: string;
  kind: GenerationKind;
  agentId?: string;
  userId?: string;
  dialogId?: string;
  conversationId?: string;
  description: string;
  persona: Persona;
  language: Language;
  template?: string;
  width: number;
  height: number;
  negativePrompt?: string;
  workflowId: string;
  /** Composed by the API on its fast path; the workflow then writes the very same message. */
  waitingMessage?: { id: string; content: string };
  /** "Take another one": the generation this one makes again with a new seed. */
  regeneratedFrom?: string;
  /** The seed, when it was drawn before the start (a regenerated photo's). */
  seed?: number;
}

/** A generic task's first write (flows of the task API without a chat): the record with its inputs. */
export interface TaskRecord {
  generationId: string;
  tenantId: string;
  kind: GenerationKind;
  description: string;
  prompt: string;
  negativePrompt?: string;
  inputs: Record<string, unknown>;
  width: number;
  height: number;
  template?: string;
  workflowId: string;
}

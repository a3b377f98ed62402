/** The JSON shapes the API returns, built from database rows. */
import type { GenerationKind, GenerationStatus } from "../domain/generation";
import type { UrlSigner } from "../lib/signedUrls";

interface MessageRow {
  id: string;
  kind: string;
  content: string;
  createdAt: Date | string;
  metadata?: unknown;
}

export function messageView(m: MessageRow) {
  return {
    id: m.id,
    role: "assistant" as const,
    kind: m.kind,
    content: m.content,
    createdAt: typeof m.createdAt === "string" ? m.createdAt : m.createdAt.toISOString(),
    ...(m.metadata ? { metadata: m.metadata } : {}),
  };
}

interface GenerationRow {
  id: string;
  kind: GenerationKind;
  status: GenerationStatus;
  progressPercent: number;
  progressStep: number | null;
  progressOf: number | null;
  queuePosition: number | null;
  etaSeconds: number | null;
  description: string;
  errorMessage: string | null;
  waitingMessageId: string | null;
  completedMessageId: string | null;
  instance: string | null;
  workflowId: string;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  agentId: string | null;
  userId: string | null;
  regeneratedFrom?: string | null;
  images?: Array<{ id: string; width: number; height: number; seed: bigint | null }>;
}

export function generationView(signer: UrlSigner, g: GenerationRow) {
  const optional = <T>(v: T | null | undefined) => (v === null || v === undefined ? undefined : v);
  return {
    id: g.id,
    kind: g.kind,
    status: g.status,
    progress: { percent: g.progressPercent, step: optional(g.progressStep), of: optional(g.progressOf) },
    queuePosition: optional(g.queuePosition),
    etaSeconds: optional(g.etaSeconds),
    description: g.description,
    agentId: optional(g.agentId),
    userId: optional(g.userId),
    regeneratedFrom: optional(g.regeneratedFrom),
    images: (g.images ?? []).map((img) => ({
      id: img.id,
      url: signer.imageUrl(img.id),
      thumbnailUrl: signer.imageUrl(img.id, "thumb"),
      width: img.width,
      height: img.height,
      seed: img.seed === null ? undefined : Number(img.seed),
    })),
    errorMessage: optional(g.errorMessage),
    waitingMessageId: optional(g.waitingMessageId),
    completedMessageId: optional(g.completedMessageId),
    instance: optional(g.instance),
    workflowId: g.workflowId,
    createdAt: g.createdAt.toISOString(),
    startedAt: g.startedAt?.toISOString(),
    completedAt: g.completedAt?.toISOString(),
  };
}

/**
 * Live previews reported by a GPU worker: the picture goes into the generation's one preview row
 * (overwritten each time), and the event log gets only a small `image:preview` event with its URL,
 * so the log stays a log of facts and the bytes never ride the LISTEN/NOTIFY fan-out.
 */
import type { PrismaClient } from "../../lib/db/generated/client";
import { isFinal } from "../../domain/generation";
import { eventRow } from "./events";

export interface PreviewReport {
  generationId: string;
  step?: number;
  of?: number;
  width: number;
  height: number;
  webp: Uint8Array;
}

/** A preview larger than this is not a thumbnail; it is dropped rather than stored. */
export const MAX_PREVIEW_BYTES = 128 * 1024;

/**
 * Stores the preview and appends its event, in one transaction, unless the generation has ended:
 * the row lock orders this against the final write, so no preview follows a final event.
 * `url(version)` builds the preview's address (a signed URL; see lib/signedUrls.ts).
 */
export async function recordPreview(prisma: PrismaClient, input: PreviewReport, url: (generationId: string, version: number) => string): Promise<boolean> {
  if (input.webp.byteLength > MAX_PREVIEW_BYTES) return false;
  const bytes = new Uint8Array(input.webp) as Uint8Array<ArrayBuffer>;
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT 1 FROM "Generation" WHERE id = ${input.generationId} FOR UPDATE`;
    const g = await tx.generation.findUnique({ where: { id: input.generationId } });
    if (!g || isFinal(g.status)) return false;
    const fields = { step: input.step ?? null, of: input.of ?? null, width: input.width, height: input.height, bytes };
    const row = await tx.generationPreview.upsert({
      where: { generationId: g.id },
      create: { generationId: g.id, ...fields },
      update: { ...fields, version: { increment: 1 } },
      select: { version: true },
    });
    await tx.event.createMany({
      data: [
        eventRow({ tenantId: g.tenantId, generationId: g.id, agentId: g.agentId, userId: g.userId, dialogId: g.dialogId }, "image:preview", {
          generationId: g.id,
          url: url(g.id, row.version),
          step: input.step,
          of: input.of,
          width: input.width,
          height: input.height,
        }),
      ],
    });
    return true;
  });
}

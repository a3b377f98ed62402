/**
 * Finished generations as a feed: each read returns the rows that finished since the previous one,
 * so every finish is observed once by this process. Rows are read again over a short overlap,
 * because a worker's clock or a slow commit can make a row appear with a `completedAt` a little
 * behind rows already seen; the rows already seen in that overlap are remembered and skipped.
 */
import type { PrismaClient } from "../../lib/db/generated/client";
import { FINAL_STATUSES } from "../../domain/generation";

export interface FinishedGeneration {
  id: string;
  kind: string;
  status: string;
  instance: string | null;
  createdAt: Date;
  completedAt: Date;
  gpuMs: number | null;
}

const OVERLAP_MS = 30_000;
const BATCH = 10_000;

/** `since`: generations finished before it are history this process does not report. */
export function finishedGenerationsFeed(prisma: PrismaClient, since: Date) {
  let cursor = since.getTime();
  // Keyed by id and finish time: a generation retried after failing finishes again, and counts again.
  const seen = new Map<string, number>();
  return {
    async next(): Promise<FinishedGeneration[]> {
      const rows = await prisma.generation.findMany({
        where: { status: { in: [...FINAL_STATUSES] }, completedAt: { gt: new Date(cursor - OVERLAP_MS) } },
        orderBy: [{ completedAt: "asc" }, { id: "asc" }],
        take: BATCH,
        select: { id: true, kind: true, status: true, instance: true, createdAt: true, completedAt: true, gpuMs: true },
      });
      const fresh: FinishedGeneration[] = [];
      for (const row of rows) {
        const at = row.completedAt!.getTime();
        const key = `${row.id}@${at}`;
        if (seen.has(key) || at <= since.getTime()) continue;
        seen.set(key, at);
        fresh.push({ ...row, completedAt: row.completedAt! });
        cursor = Math.max(cursor, at);
      }
      for (const [key, at] of seen) if (at < cursor - OVERLAP_MS) seen.delete(key);
      return fresh;
    },
  };
}

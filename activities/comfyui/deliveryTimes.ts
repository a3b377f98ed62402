/**
 * How long a picture takes from its instance's finish to the chat being told it is ready: the GPU
 * job's result travels back through Temporal, the main worker fetches, post-processes and stores
 * the picture and writes the completion message. ETAs add that time to the GPU's (see
 * progress.ts), so that they say when the picture arrives, not when the instance is done.
 *
 * The GPU worker does not see the completion happen, so it reads it back: every picture that
 * finished here is remembered with the moment it finished, and each later finish on this process
 * reads, in one query, which of the remembered ones were completed since and when. The two moments
 * are compared on the database's clock (the query's own clock reading gives the offset), so a GPU
 * host whose clock is off does not skew them. Only single-picture flows are measured: a series or
 * a set of variations completes once all its pictures are done, which says nothing about one.
 */
import type { PrismaClient } from "../../lib/db/generated/client";
import { FINAL_STATUSES, type GenerationKind } from "../../domain/generation";
import { throughputOf } from "./throughput";

/** Flows whose generation completes as soon as its one picture is stored. */
const SINGLE_PICTURE_KINDS: ReadonlySet<string> = new Set<GenerationKind>(["companion_photo", "chat_image"]);
/** A picture not completed within this long (a stuck or slow workflow) is no longer waited for. */
const MAX_WAIT_MS = 10 * 60_000;
/** At most this many pictures are remembered; the oldest go first. */
const MAX_PENDING = 256;

export interface DeliveryTimes {
  /** The instance `instance` finished the picture of `generationId` just now. */
  finished(instance: string, generationId: string): void;
  /** Resolves once the reads started so far are done (for tests). */
  settled(): Promise<void>;
}

export function createDeliveryTimes(prisma: PrismaClient, onError: (err: unknown) => void = () => undefined): DeliveryTimes {
  const pending = new Map<string, { instance: string; finishedAt: number }>();
  let reading: Promise<void> = Promise.resolve();
  let queued = false;

  async function read(): Promise<void> {
    const sentAt = Date.now();
    for (const [id, p] of pending) if (sentAt - p.finishedAt > MAX_WAIT_MS) pending.delete(id);
    const ids = [...pending.keys()];
    if (ids.length === 0) return;
    const rows = await prisma.$queryRaw<Array<{ dbNow: Date; id: string | null; kind: string | null; status: string | null; completedAt: Date | null }>>`
      SELECT n."dbNow", g."id", g."kind"::text AS "kind", g."status"::text AS "status", g."completedAt"
      FROM (SELECT clock_timestamp() AS "dbNow") n
      LEFT JOIN "Generation" g ON g."id" = ANY(${ids}::text[]) AND g."status"::text = ANY(${[...FINAL_STATUSES]}::text[])`;
    // The database's clock minus this host's, read halfway through the round trip.
    const offsetMs = rows[0]!.dbNow.getTime() - (sentAt + Date.now()) / 2;
    for (const row of rows) {
      if (!row.id) continue;
      const p = pending.get(row.id);
      pending.delete(row.id);
      if (!p || row.status !== "completed" || !row.completedAt || !SINGLE_PICTURE_KINDS.has(row.kind!)) continue;
      throughputOf(p.instance).observeDelivery(row.completedAt.getTime() - (p.finishedAt + offsetMs));
    }
  }

  return {
    finished(instance, generationId) {
      pending.delete(generationId);
      pending.set(generationId, { instance, finishedAt: Date.now() });
      while (pending.size > MAX_PENDING) pending.delete(pending.keys().next().value!);
      // One read at a time; finishes that come meanwhile share the next one.
      if (queued) return;
      queued = true;
      reading = reading.then(() => {
        queued = false;
        return read().catch(onError);
      });
    },
    settled: () => reading,
  };
}

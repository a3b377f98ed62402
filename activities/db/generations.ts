/**
 * The generation record and its chat messages: every write a workflow makes to the database.
 * Each activity is idempotent (keyed by generation id), because Temporal may run it again after a
 * crash, a retry or an operator's reset, and the chat must never see a message twice.
 */
import type { Client } from "@temporalio/client";
import type { PrismaClient } from "../../lib/db/generated/client";
import type { Language } from "../../lib/language";
import type { ComposeMessageInput, ComposedMessage } from "../llm";
import type { ChatMessage, MultimediaItem, Persona } from "../../domain/messages";
import type { Refusal } from "../../domain/contentPolicy";
import { FINAL_STATUSES, isFinal, type GenerationRecord } from "../../domain/generation";
import { eventRow, type EventScope } from "./events";
import { slotFreedSignal } from "../../domain/signals";
import { currentRunId, reopenIfEndedByEarlierRun } from "./runs";

export type { ChatMessage, MultimediaItem };
/** What the API and a workflow's first step write; the flow's record function builds it from the workflow input. */
export type BeginGenerationInput = GenerationRecord;

export interface GenerationActivityDeps {
  prisma: PrismaClient;
  composeMessage(input: ComposeMessageInput): Promise<ComposedMessage>;
  /** Builds public image URLs for the completion message. */
  imageUrls(imageId: string): { url: string; thumbnailUrl: string };
  /** Wakes a queued workflow when a slot frees up; absent in tests that only touch the database. */
  temporal?: Client;
}

/** A Message row as the chat sees it. */
type MessageRow = { id: string; kind: string; content: string; createdAt: Date; metadata: unknown };

export function toChatMessage(m: MessageRow): ChatMessage {
  return {
    id: m.id,
    role: "assistant",
    kind: m.kind as ChatMessage["kind"],
    content: m.content,
    createdAt: m.createdAt.toISOString(),
    metadata: (m.metadata as ChatMessage["metadata"]) ?? null,
  };
}


function scopeOf(g: { id: string; tenantId: string; agentId: string | null; userId: string | null; dialogId: string | null }): EventScope {
  return { tenantId: g.tenantId, generationId: g.id, agentId: g.agentId, userId: g.userId, dialogId: g.dialogId };
}

/** A new generation's row from its first record: pending, to be made on ComfyUI. */
export function pendingGenerationRow(
  r: Pick<GenerationRecord, "generationId" | "tenantId" | "kind" | "description" | "template" | "width" | "height" | "negativePrompt" | "workflowId"> &
    Partial<Pick<GenerationRecord, "regeneratedFrom">>,
) {
  return {
    id: r.generationId,
    tenantId: r.tenantId,
    kind: r.kind,
    status: "pending" as const,
    description: r.description,
    template: r.template,
    width: r.width,
    height: r.height,
    negativePrompt: r.negativePrompt,
    workflowId: r.workflowId,
    provider: "comfyui",
    ...(r.regeneratedFrom ? { regeneratedFrom: r.regeneratedFrom } : {}),
  };
}

/**
 * A new generation's first rows — the record, its waiting message, and the events that announce
 * both — in one statement. The API writes them once the workflow start succeeded, and the
 * workflow's first step writes the very same rows; whichever comes second writes nothing (`ON
 * CONFLICT DO NOTHING`) and returns the first's message.
 *
 * Why one hand-written statement and not three ORM calls in a transaction: this is on the chat
 * reply's path, and each ORM round trip costs the API about a millisecond of CPU; a burst of
 * replies is bound by exactly that CPU. The statement is atomic on its own, so no transaction
 * is needed, and the data-modifying CTEs run only when the record was new.
 */
export async function writeFirstRecords(
  db: Pick<PrismaClient, "$queryRaw">,
  input: BeginGenerationInput & { waitingMessage: { id: string; content: string } },
): Promise<ChatMessage> {
  const waiting = input.waitingMessage;
  const g = { ...pendingGenerationRow(input), agentId: input.agentId ?? null, userId: input.userId ?? null, dialogId: input.dialogId ?? null, conversationId: input.conversationId ?? null };
  const scope: EventScope = { tenantId: input.tenantId, generationId: input.generationId, agentId: input.agentId, userId: input.userId, dialogId: input.dialogId };
  const [newMessage, queued] = [
    eventRow(scope, "message:new", { message: { id: waiting.id, role: "assistant", kind: "waiting", content: waiting.content, generationId: input.generationId } }),
    eventRow(scope, "image:queued", { generationId: input.generationId, description: input.description }),
  ];
  const rows = await db.$queryRaw<MessageRow[]>`
    WITH g AS (
      INSERT INTO "Generation" ("id", "tenantId", "kind", "status", "description", "template", "width", "height", "negativePrompt",
        "workflowId", "provider", "regeneratedFrom", "agentId", "userId", "dialogId", "conversationId", "persona", "language",
        "waitingMessageId", "seed", "updatedAt")
      VALUES (${g.id}, ${g.tenantId}, ${g.kind}::"GenerationKind", 'pending', ${g.description}, ${g.template ?? null}, ${g.width}, ${g.height},
        ${g.negativePrompt ?? null}, ${g.workflowId}, ${g.provider}, ${input.regeneratedFrom ?? null}, ${g.agentId}, ${g.userId}, ${g.dialogId},
        ${g.conversationId}, ${JSON.stringify(input.persona)}::jsonb, ${input.language}, ${waiting.id},
        ${input.seed !== undefined ? BigInt(input.seed) : null}::bigint, now())
      ON CONFLICT DO NOTHING
      RETURNING "id"
    ), m AS (
      INSERT INTO "Message" ("id", "tenantId", "generationId", "agentId", "userId", "conversationId", "kind", "content")
      SELECT ${waiting.id}, ${g.tenantId}, g."id", ${g.agentId}, ${g.userId}, ${g.conversationId}, 'waiting', ${waiting.content} FROM g
      RETURNING "id", "kind", "content", "createdAt", "metadata"
    ), e AS (
      INSERT INTO "Event" ("tenantId", "type", "generationId", "agentId", "userId", "dialogId", "payload")
      SELECT ${g.tenantId}, v.type, g."id", ${g.agentId}, ${g.userId}, ${g.dialogId}, v.payload
      FROM g, (VALUES (1, ${newMessage.type}, ${JSON.stringify(newMessage.payload)}::jsonb), (2, ${queued.type}, ${JSON.stringify(queued.payload)}::jsonb)) AS v(n, type, payload)
      ORDER BY v.n
    )
    SELECT "id", "kind", "content", "createdAt", "metadata" FROM m`;
  if (rows[0]) return toChatMessage(rows[0]);
  // Written first by the other side: its message.
  const existing = await generationMessage(db, input.generationId, "waiting");
  if (!existing) throw new Error(`generation ${input.generationId} exists without its waiting message`);
  return existing;
}

/** A generation's waiting message or outcome message, once written (one read). */
async function generationMessage(db: Pick<PrismaClient, "$queryRaw">, generationId: string, which: "waiting" | "outcome"): Promise<ChatMessage | undefined> {
  const [m] = await db.$queryRaw<MessageRow[]>`
    SELECT m."id", m."kind", m."content", m."createdAt", m."metadata"
    FROM "Generation" g
    JOIN "Message" m ON m."id" = CASE WHEN ${which}::text = 'waiting' THEN g."waitingMessageId" ELSE g."completedMessageId" END
    WHERE g."id" = ${generationId}`;
  return m ? toChatMessage(m) : undefined;
}

export function createGenerationActivities(deps: GenerationActivityDeps) {
  const { prisma } = deps;

  async function personaOf(generationId: string) {
    const g = await prisma.generation.findUniqueOrThrow({ where: { id: generationId } });
    return { g, persona: (g.persona ?? { name: "", personality: "" }) as unknown as Persona, language: g.language as Language };
  }

  async function finalMessage(messageId: string): Promise<ChatMessage> {
    return toChatMessage(await prisma.message.findUniqueOrThrow({ where: { id: messageId } }));
  }

  /**
   * A final outcome and its chat message (completed with the images, or the apology), with the
   * matching `image:*` event, written only if no outcome is recorded yet; returns the message that
   * won. Two attempts of one activity can overlap (a timed-out attempt still finishing while its
   * retry starts): only one message survives.
   *
   * One statement, like the first records: the claim on the record (`completedMessageId IS NULL`)
   * and the inserts that follow from it are atomic without a transaction, and the photo's last
   * step does one round trip instead of six.
   */
  async function writeOutcome(
    g: { id: string; tenantId: string; agentId: string | null; userId: string | null; dialogId: string | null; conversationId: string | null },
    o: {
      kind: "completed" | "failed";
      content: string;
      metadata?: { multimedia: MultimediaItem[] };
      record: { status: "completed"; progressPercent: number; gpuMs: number } | { status: "failed"; errorMessage: string };
      event?: Record<string, unknown>;
    },
  ): Promise<ChatMessage> {
    const messageId = crypto.randomUUID();
    const r = o.record;
    const metadata = o.metadata ? JSON.stringify(o.metadata) : null;
    const event = eventRow(scopeOf(g), `image:${o.kind}`, {
      generationId: g.id,
      runId: currentRunId(),
      ...o.event,
      message: { id: messageId, role: "assistant", kind: o.kind, content: o.content, ...(o.metadata ? { metadata: o.metadata } : {}) },
    });
    const completed = r.status === "completed" ? r : undefined;
    const failed = r.status === "failed" ? r : undefined;
    const [won] = await prisma.$queryRaw<MessageRow[]>`
      WITH claimed AS (
        UPDATE "Generation"
        SET "status" = ${r.status}::"GenerationStatus",
            "progressPercent" = COALESCE(${completed?.progressPercent ?? null}::int, "progressPercent"),
            "gpuMs" = COALESCE(${completed?.gpuMs ?? null}::int, "gpuMs"),
            "errorMessage" = COALESCE(${failed?.errorMessage ?? null}::text, "errorMessage"),
            "completedMessageId" = ${messageId}, "completedAt" = now(), "queuePosition" = NULL, "etaSeconds" = NULL, "updatedAt" = now()
        WHERE "id" = ${g.id} AND "completedMessageId" IS NULL
        RETURNING "id"
      ), m AS (
        INSERT INTO "Message" ("id", "tenantId", "generationId", "agentId", "userId", "conversationId", "kind", "content", "metadata")
        SELECT ${messageId}, ${g.tenantId}, claimed."id", ${g.agentId}, ${g.userId}, ${g.conversationId}, ${o.kind}, ${o.content}, ${metadata}::jsonb FROM claimed
        RETURNING "id", "kind", "content", "createdAt", "metadata"
      ), e AS (
        INSERT INTO "Event" ("tenantId", "type", "generationId", "agentId", "userId", "dialogId", "payload")
        SELECT ${g.tenantId}, ${event.type}, claimed."id", ${g.agentId}, ${g.userId}, ${g.dialogId}, ${JSON.stringify(event.payload)}::jsonb FROM claimed
      )
      SELECT "id", "kind", "content", "createdAt", "metadata" FROM m`;
    if (won) return toChatMessage(won);
    // Another attempt wrote the outcome first: its message.
    const first = await generationMessage(prisma, g.id, "outcome");
    if (!first) throw new Error(`generation ${g.id} has an outcome without its message`);
    return first;
  }

  /** The records and waiting message of a new generation (beginGeneration without the run check). */
  async function begin(input: BeginGenerationInput): Promise<ChatMessage> {
    const existing = await generationMessage(prisma, input.generationId, "waiting");
    if (existing) return existing;
    const composed = input.waitingMessage ?? (await deps.composeMessage({
      kind: "waiting",
      persona: input.persona,
      description: input.description,
      language: input.language,
      variantSeed: `${input.generationId}:waiting`,
    }));
    const waitingMessage = { id: input.waitingMessage?.id ?? crypto.randomUUID(), content: composed.content };
    // The API may be writing the same rows at this moment: whichever comes second reads the first's.
    return writeFirstRecords(prisma, { ...input, waitingMessage });
  }

  /**
   * claimUserSlot without the run check. Under the user's advisory lock, one statement reads the
   * user's slots and queue and takes the slot (or records the queue position): the lock is taken
   * first, in its own statement, so that statement's snapshot sees every claim committed before.
   */
  async function claim(
    input: { generationId: string; tenantId: string; userId: string; max: number },
    /** An instance to record on the generation in the same transaction, when the slot is granted. */
    assignTo?: string,
  ): Promise<{ granted: boolean; queuePosition: number }> {
    const [decided] = await prisma.$transaction([
      prisma.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${input.tenantId + "/" + input.userId}))`,
      prisma.$queryRaw<Array<{ granted: boolean; position: number }>>`
        WITH me AS (
          SELECT "id", "createdAt", ("slotClaimedAt" IS NOT NULL AND "slotReleasedAt" IS NULL) AS held
          FROM "Generation" WHERE "id" = ${input.generationId}
        ), counts AS (
          -- Slots the user holds, and the user's generations queued ahead of this one.
          SELECT count(*) FILTER (WHERE g."slotClaimedAt" IS NOT NULL AND g."slotReleasedAt" IS NULL)::int AS holders,
                 count(*) FILTER (WHERE g."slotClaimedAt" IS NULL AND g."status" = 'pending'
                   AND (g."createdAt" < me."createdAt" OR (g."createdAt" = me."createdAt" AND g."id" < me."id")))::int AS ahead
          FROM "Generation" g, me WHERE g."tenantId" = ${input.tenantId} AND g."userId" = ${input.userId}
        ), decision AS (
          SELECT me."id", me.held,
                 me.held OR counts.ahead < ${input.max} - counts.holders AS granted,
                 counts.ahead - GREATEST(0, ${input.max} - counts.holders) + 1 AS position
          FROM me, counts
        ), taken AS (
          UPDATE "Generation" g
          -- clock_timestamp(), not now(): now() is when the transaction began, before the wait
          -- for the lock, and the slot is taken only now.
          SET "slotClaimedAt" = CASE WHEN d.granted THEN clock_timestamp() ELSE g."slotClaimedAt" END,
              "queuePosition" = CASE WHEN d.granted THEN NULL ELSE d.position END,
              "updatedAt" = now()
          FROM decision d WHERE g."id" = d."id" AND NOT d.held
        )
        SELECT granted, position::int AS position FROM decision`,
      // Sees the claim above (same transaction): assigns only a generation that now holds its slot.
      ...(assignTo === undefined ? [] : [assignment(input.generationId, assignTo, { slotHeld: true })]),
    ]).then(([, rows]) => rows);
    if (!decided) throw new Error(`generation ${input.generationId} not found`);
    return decided.granted ? { granted: true, queuePosition: 0 } : { granted: false, queuePosition: decided.position };
  }

  /** Records the instance a generation runs on (not once it has ended; with `slotHeld`, only while it holds its slot). */
  function assignment(generationId: string, instance: string, opts: { slotHeld?: boolean } = {}) {
    return prisma.$executeRaw`
      UPDATE "Generation" SET "status" = 'generating', "instance" = ${instance}, "startedAt" = now(), "queuePosition" = NULL, "updatedAt" = now()
      WHERE "id" = ${generationId} AND "status"::text <> ALL(${[...FINAL_STATUSES]}::text[])
        AND (NOT ${opts.slotHeld ?? false} OR ("slotClaimedAt" IS NOT NULL AND "slotReleasedAt" IS NULL))`;
  }

  async function prepareCompletion(generationId: string): Promise<{ write(images: Array<{ id: string; width: number; height: number }>, gpuMs: number): Promise<ChatMessage> }> {
    await reopenIfEndedByEarlierRun(prisma, generationId);
    const { g, persona, language } = await personaOf(generationId);
    if (g.completedMessageId) {
      const written = g.completedMessageId;
      return { write: () => finalMessage(written) };
    }
    const composed = await deps.composeMessage({ kind: "completed", persona, description: g.description, language, variantSeed: `${g.id}:completed` });
    return {
      write: (images, gpuMs) => {
        const multimedia: MultimediaItem[] = images.map((img) => ({
          type: "image",
          imageId: img.id,
          ...deps.imageUrls(img.id),
          width: img.width,
          height: img.height,
        }));
        return writeOutcome(g, {
          kind: "completed",
          content: composed.content,
          metadata: { multimedia },
          record: { status: "completed", progressPercent: 100, gpuMs },
        });
      },
    };
  }

  return {
    /**
     * Records the generation and its in-character waiting message (once), and returns that message.
     * The API and the workflow may both call this for one generation at the same moment (the API for
     * read-your-writes, the workflow so nothing is lost if the API dies): the loser of the insert
     * race reads the winner's row.
     */
    async beginGeneration(input: BeginGenerationInput): Promise<ChatMessage> {
      await reopenIfEndedByEarlierRun(prisma, input.generationId);
      return begin(input);
    },

    /**
     * A generation the content policy refused before any GPU work: the record (final, `refused`,
     * the reason for operators), the persona's refusal as its outcome message, and the final
     * `image:failed` event (marked `refused`, without the reason) so every event stream ends the
     * way streams already end. No workflow runs for it.
     */
    async recordRefusal(input: { record: GenerationRecord; refusal: Refusal; message: { id: string; content: string } }): Promise<ChatMessage> {
      const r = input.record;
      const scope: EventScope = { tenantId: r.tenantId, generationId: r.generationId, agentId: r.agentId, userId: r.userId, dialogId: r.dialogId };
      const payload = { id: input.message.id, role: "assistant", kind: "refused", content: input.message.content };
      const [, message] = await prisma.$transaction([
        prisma.generation.create({
          data: {
            ...pendingGenerationRow(r),
            provider: null,
            status: "refused",
            refusedBy: input.refusal.by,
            errorMessage: input.refusal.reason.slice(0, 2000),
            agentId: r.agentId,
            userId: r.userId,
            dialogId: r.dialogId,
            conversationId: r.conversationId,
            persona: r.persona as object,
            language: r.language,
            completedMessageId: input.message.id,
            completedAt: new Date(),
          },
        }),
        prisma.message.create({
          data: {
            id: input.message.id,
            tenantId: r.tenantId,
            generationId: r.generationId,
            agentId: r.agentId,
            userId: r.userId,
            conversationId: r.conversationId,
            kind: "refused",
            content: input.message.content,
          },
        }),
        prisma.event.createMany({
          data: [eventRow(scope, "image:failed", { generationId: r.generationId, refused: true, error: "refused by the content policy", message: payload })],
        }),
      ]);
      return toChatMessage(message);
    },

    /**
     * Takes one of the user's concurrency slots if this generation is near enough the front of the
     * user's queue. Serialised per user by an advisory lock so two claims never share a slot.
     */
    async claimUserSlot(input: { generationId: string; tenantId: string; userId: string; max: number }): Promise<{ granted: boolean; queuePosition: number }> {
      await reopenIfEndedByEarlierRun(prisma, input.generationId);
      return claim(input);
    },

    /** Gives the slot back and nudges the user's next queued generations to claim it. */
    async releaseUserSlot(input: { generationId: string; tenantId: string; userId: string }): Promise<void> {
      await prisma.generation.updateMany({
        where: { id: input.generationId, slotClaimedAt: { not: null }, slotReleasedAt: null },
        data: { slotReleasedAt: new Date() },
      });
      const next = await prisma.generation.findMany({
        where: { tenantId: input.tenantId, userId: input.userId, slotClaimedAt: null, status: "pending" },
        orderBy: [{ createdAt: "asc" }, { id: "asc" }],
        take: 5,
        select: { workflowId: true },
      });
      if (!deps.temporal) return;
      await Promise.all(
        next.map((n) =>
          deps.temporal!.workflow
            .getHandle(n.workflowId)
            .signal(slotFreedSignal)
            .catch(() => undefined /* already closed: nothing to wake */),
        ),
      );
    },

    async markGenerating(input: { generationId: string; instance: string }): Promise<void> {
      await reopenIfEndedByEarlierRun(prisma, input.generationId);
      await assignment(input.generationId, input.instance);
    },

    /**
     * A photo's whole admission in one step: its records (and waiting message), the user's slot, and,
     * once the slot is granted, an instance from `pick` — with the run check once, not per part.
     * Each part is idempotent, so a retry of the whole is safe. A helper for the admission
     * activity, not an activity itself.
     */
    async admit<I extends { name: string }>(
      input: { record: BeginGenerationInput; slot: { tenantId: string; userId: string; max: number } },
      placement?: { pick(): Promise<I | null>; /** A pick not used after all (the slot was not granted, or a part failed). */ unpick(instance: I): void },
    ): Promise<{ waiting: ChatMessage; claim: { granted: boolean; queuePosition: number }; instance?: I | null }> {
      const generationId = input.record.generationId;
      const picking = placement?.pick();
      /** A pick this attempt does not use goes back to the pool, or the instance would look busier than it is. */
      const handBack = () => void picking?.then((i) => i && placement!.unpick(i), () => undefined);
      let waiting: ChatMessage;
      let instance: I | null | undefined;
      let claimed: { granted: boolean; queuePosition: number };
      try {
        // Three independent parts at once: the run check and the records touch the generation, the
        // pick reads only the pool. (The records are usually there already: the API wrote them.)
        [, waiting, instance] = await Promise.all([reopenIfEndedByEarlierRun(prisma, generationId), begin(input.record), picking]);
        // The slot and, when it is granted, the instance: one transaction.
        claimed = await claim({ generationId, ...input.slot }, instance?.name);
      } catch (err) {
        // The retry picks again.
        handBack();
        throw err;
      }
      if (!placement) return { waiting, claim: claimed };
      if (!claimed.granted) {
        handBack();
        return { waiting, claim: claimed };
      }
      return { waiting, claim: claimed, instance: instance ?? null };
    },

    /** The completion message with the images, written once; a rerun returns the first one. */
    async completeGeneration(input: { generationId: string; imageIds: string[]; gpuMs: number }): Promise<ChatMessage> {
      const completion = await prepareCompletion(input.generationId);
      const images = await prisma.image.findMany({ where: { id: { in: input.imageIds } }, orderBy: { outputIndex: "asc" } });
      return completion.write(images, input.gpuMs);
    },

    /**
     * The completion in two halves, so its reads and its message can be made while the pictures are
     * still being processed: `write` takes the stored images, in output order. A helper for the
     * activity that stores and completes, not an activity itself.
     */
    prepareCompletion,

    /** The in-character apology, written once; the error is kept for the operator. */
    async failGeneration(input: { generationId: string; error: string }): Promise<ChatMessage> {
      await reopenIfEndedByEarlierRun(prisma, input.generationId);
      const { g, persona, language } = await personaOf(input.generationId);
      if (g.completedMessageId) return finalMessage(g.completedMessageId);
      const composed = await deps.composeMessage({
        kind: "failed",
        persona,
        description: g.description,
        language,
        variantSeed: `${g.id}:failed`,
        errorHint: input.error,
      });
      return writeOutcome(g, {
        kind: "failed",
        content: composed.content,
        record: { status: "failed", errorMessage: input.error.slice(0, 2000) },
        event: { error: input.error },
      });
    },

    async cancelGeneration(input: { generationId: string }): Promise<void> {
      await reopenIfEndedByEarlierRun(prisma, input.generationId);
      const g = await prisma.generation.findUniqueOrThrow({ where: { id: input.generationId } });
      if (isFinal(g.status)) return;
      await prisma.$transaction(async (tx) => {
        // Conditional on the record still being open: two attempts never write two cancellations.
        const cancelled = await tx.generation.updateMany({
          where: { id: g.id, status: { notIn: [...FINAL_STATUSES] } },
          data: { status: "cancelled", completedAt: new Date(), queuePosition: null, etaSeconds: null },
        });
        if (cancelled.count === 0) return;
        await tx.event.createMany({ data: [eventRow(scopeOf(g), "image:cancelled", { generationId: g.id, runId: currentRunId() })] });
      });
    },

    recordProgress: (input: ProgressReport) => recordProgress(prisma, input),
  };
}

export type GenerationActivities = ReturnType<typeof createGenerationActivities>;

export interface ProgressReport {
  generationId: string;
  percent: number;
  step?: number;
  of?: number;
  queuePosition?: number;
  /** Seconds until the picture is made, measured on the instance; absent when not known yet. */
  etaSeconds?: number;
  promptId?: string;
}

/** Progress reported by a GPU worker; never moves a finished generation backwards. */
export async function recordProgress(prisma: PrismaClient, input: ProgressReport): Promise<void> {
  const percent = Math.max(0, Math.min(100, Math.round(input.percent)));
  const g = await prisma.generation.findUnique({ where: { id: input.generationId } });
  if (!g || isFinal(g.status)) return;
  await prisma.$transaction([
    prisma.generation.update({
      where: { id: g.id },
      data: {
        progressPercent: percent,
        progressStep: input.step ?? null,
        progressOf: input.of ?? null,
        queuePosition: input.queuePosition ?? null,
        etaSeconds: input.etaSeconds ?? null,
        requestId: input.promptId,
      },
    }),
    prisma.event.createMany({
      data: [eventRow(scopeOf(g), "image:progress", { generationId: g.id, percent, step: input.step, of: input.of, queuePosition: input.queuePosition, etaSeconds: input.etaSeconds })],
    }),
  ]);
}

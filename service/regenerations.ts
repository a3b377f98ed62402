/**
 * "Take another one": a finished companion photo or chat picture made again as a NEW generation,
 * with the same prompt, persona and template and a new seed, linked back to the original
 * (`regeneratedFrom`). The chat hears an in-character "let me take another one" at once, in the
 * conversation's language, like any waiting message. Each kind reuses its own workflow unchanged:
 * only the seed (drawn here, never equal to the original's) and the link are new in its input.
 */
import { randomInt } from "node:crypto";
import { writeChatImageRecord } from "../activities/db/chatImages";
import { chatImageRecord, chatImageWorkflowId, type ChatImageInput } from "../domain/chatImage";
import { isFinal, type GenerationKind } from "../domain/generation";
import type { Language, Persona } from "../domain/messages";
import { DarkroomDialog } from "../domain/searchAttributes";
import type { DeliveryTargets } from "../lib/deliveryTargets";
import { chatImage } from "../workflows/chatImage";
import type { companionPhotoService } from "./companionPhotos";
import { chatImageInput } from "./dialogs";
import type { ServiceDeps } from "./deps";
import { notFound, ServiceRefusal } from "./errors";
import { personaAvailableOrRefuse } from "./personaAvailability";
import { dialogQuotaKey, quotaService, startSpending } from "./quotas";
import { startGeneration } from "./startGeneration";
import { generationView, messageView } from "./views";

/** The kinds a user can ask to see again: one picture in a chat. */
export const REGENERABLE_KINDS = ["companion_photo", "chat_image"] as const satisfies readonly GenerationKind[];

/** Below 2^48, like the seeds the workflows draw themselves (and within what randomInt can draw). */
const SEED_RANGE = 2 ** 48 - 1;

/** A seed other than the original's (a repeat would give the very same picture). */
export function freshSeed(previous: ReadonlyArray<number | bigint | null | undefined>): number {
  const taken = new Set(previous.filter((s) => s !== null && s !== undefined).map(Number));
  for (;;) {
    const seed = randomInt(0, SEED_RANGE);
    if (!taken.has(seed)) return seed;
  }
}

export function regenerationService(deps: ServiceDeps, photos: ReturnType<typeof companionPhotoService>) {
  const { prisma } = deps;
  const quotas = quotaService(deps);

  async function original(tenantId: string, id: string) {
    const g = await prisma.generation.findFirst({
      where: { id, tenantId },
      include: { images: { orderBy: { outputIndex: "asc" } }, deliveries: { orderBy: { createdAt: "asc" } } },
    });
    if (!g) throw notFound("Generation", id);
    if (!(REGENERABLE_KINDS as readonly string[]).includes(g.kind)) {
      throw new ServiceRefusal(
        "conflict",
        "not_regenerable",
        `A ${g.kind.replace(/_/g, " ")} cannot be regenerated: only companion photos and chat images can (an angle series or variations run is started again with its own inputs)`,
      );
    }
    if (!isFinal(g.status)) {
      throw new ServiceRefusal("conflict", "still_running", `Generation "${g.id}" is still ${g.status}; take another one once it has finished (or cancel it first)`);
    }
    return g;
  }

  type Original = Awaited<ReturnType<typeof original>>;

  async function againCompanionPhoto(g: Original, generationId: string, seed: number) {
    const outcome = await photos.start(
      {
        generationId,
        tenantId: g.tenantId,
        agentId: g.agentId ?? "",
        userId: g.userId ?? "",
        conversationId: g.conversationId ?? undefined,
        description: g.description,
        persona: (g.persona ?? { name: g.agentId ?? "", personality: "" }) as unknown as Persona,
        language: g.language as Language,
      },
      {
        template: g.template ?? undefined,
        width: g.width ?? undefined,
        height: g.height ?? undefined,
        negativePrompt: g.negativePrompt ?? undefined,
        // The prompt the original was made from (recorded when its images were stored).
        prompt: g.prompt ?? undefined,
        seed,
        regeneratedFrom: g.id,
      },
    );
    return messageView(outcome.message);
  }

  async function againChatImage(g: Original, generationId: string, seed: number) {
    const stored = (g.persona ?? {}) as { id?: string; name?: string; personality?: string; language?: string; checkpoint?: string };
    const persona = deps.personas.find(stored.id ?? "");
    if (!persona) throw new ServiceRefusal("conflict", "unknown_persona", `Persona "${stored.id}" of generation "${g.id}" is no longer known; known personas: ${deps.personas.ids().join(", ")}`);
    await personaAvailableOrRefuse(deps.personas, persona);
    const dialog = g.dialogId ? await prisma.dialog.findUnique({ where: { tenantId_dialogId: { tenantId: g.tenantId, dialogId: g.dialogId } } }) : null;
    const trigger = dialog && g.messageNumber !== null
      ? await prisma.dialogMessage.findUnique({ where: { dialogPk_number: { dialogPk: dialog.id, number: g.messageNumber } } })
      : null;
    // The same targets the original went to: the picture is an answer in that chat.
    const delivery: DeliveryTargets = {};
    for (const d of g.deliveries) {
      if (d.channel === "telegram") delivery.telegram = { chatId: d.target };
      if (d.channel === "webhook") delivery.webhook = { url: d.target };
    }
    const language = g.language as Language;
    const composed = await deps.composeMessage({
      kind: "regenerating",
      persona: { name: stored.name ?? persona.name, personality: stored.personality ?? persona.personality, language },
      description: g.description,
      language,
      variantSeed: `${generationId}:waiting`,
    });
    const base = chatImageInput(deps.config, {
      generationId,
      tenantId: g.tenantId,
      dialogId: g.dialogId ?? "",
      persona,
      seed,
      delivery,
      messageNumber: g.messageNumber ?? 0,
      text: trigger?.text ?? g.description,
    });
    const input: ChatImageInput = {
      ...base,
      // The original's own template, size and negative prompt, even if the persona file changed since.
      checkpoint: stored.checkpoint ?? base.checkpoint,
      template: g.template ?? base.template,
      width: g.width ?? base.width,
      height: g.height ?? base.height,
      negativePrompt: g.negativePrompt ?? base.negativePrompt,
      trigger: { ...base.trigger!, persona: { name: stored.name ?? persona.name, personality: stored.personality ?? persona.personality, language } },
      regeneratedFrom: g.id,
      waitingMessage: { id: crypto.randomUUID(), content: composed.content },
    };
    // Another take is another image: it counts against the dialog's and the tenant's daily quota.
    const reservation = await quotas.reserve({ tenantId: g.tenantId, userKey: dialogQuotaKey(g.dialogId ?? "") });
    await startSpending(reservation, (started) => startGeneration(
      deps,
      {
        workflow: chatImage,
        workflowId: chatImageWorkflowId(generationId),
        taskQueue: deps.config.temporal.taskQueue,
        input,
        tenantId: g.tenantId,
        kind: "chat_image",
        searchAttributes: [{ key: DarkroomDialog, value: g.dialogId ?? "" }],
        onConflict: "fail",
      },
      () => {
        started();
        return prisma.$transaction((tx) => writeChatImageRecord(tx, chatImageRecord({ ...input, trigger: input.trigger! })));
      },
    ));
    return messageView({ id: input.waitingMessage!.id, kind: "waiting", content: composed.content, createdAt: new Date() });
  }

  return {
    /** Starts the new take; answers with its generation and its "let me take another one" message. */
    async regenerate(tenantId: string, id: string) {
      const g = await original(tenantId, id);
      const generationId = crypto.randomUUID();
      const seed = freshSeed([g.seed, ...g.images.map((i) => i.seed)]);
      const message = g.kind === "chat_image" ? await againChatImage(g, generationId, seed) : await againCompanionPhoto(g, generationId, seed);
      const created = await prisma.generation.findUniqueOrThrow({ where: { id: generationId }, include: { images: true } });
      return { generation: generationView(deps.signer, created), messages: [message] };
    },
  };
}

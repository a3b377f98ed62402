/**
 * Companion photos: the chat backend hands over the LLM's reply; every `[IMAGE: …]` tag becomes a
 * generation, and the answer carries the in-character waiting message at once.
 *
 * The chat's answer must come back in milliseconds, so the waiting message is composed here
 * (templates, or the LLM within its budget) and goes into the workflow input; the start is one
 * round trip to Temporal with no waiting on a worker (see startGeneration.ts). The workflow also
 * answers the `waitingMessage` update, for clients that prefer Update-with-Start.
 */
import { companionPhotoRecord, companionPhotoWorkflowId, type CompanionPhotoInput } from "../domain/companionPhoto";
import { OPEN_STATUSES, FINAL_STATUSES } from "../domain/generation";
import type { ChatMessage, Persona } from "../domain/messages";
import { DarkroomAgent, DarkroomUser } from "../domain/searchAttributes";
import type { Config } from "../lib/config";
import { parseImageTags } from "../lib/imageTags";
import { chooseLanguage } from "../lib/language";
import { companionPhoto } from "../workflows/companionPhoto";
import { refusalMessage } from "../activities/llm/refusals";
import type { ServiceDeps } from "./deps";
import { personaAvailableOrRefuse } from "./personaAvailability";
import { startGeneration } from "./startGeneration";
import { QuotaExceeded, quotaService, startSpending, userQuotaKey, type QuotaState } from "./quotas";
import { generationView, messageView } from "./views";
import { writeFirstRecords } from "../activities/db/generations";

const NEGATIVE_PROMPT = "blurry, lowres, deformed, extra fingers, watermark, text, nsfw";
/** How long a finished photo stays in the polling answer. */
const RECENT_MS = 5 * 60_000;

/** What a caller decides about a photo; the rest of the workflow input comes from configuration. */
export type CompanionPhotoRequest = Pick<
  CompanionPhotoInput,
  "generationId" | "tenantId" | "agentId" | "userId" | "conversationId" | "description" | "persona" | "language"
>;

export function companionPhotoInput(config: Config, personas: ServiceDeps["personas"], r: CompanionPhotoRequest): CompanionPhotoInput {
  // A persona id that names a persona file brings its own ComfyUI template (checkpoint, LoRAs, nodes).
  const file = r.persona.id ? personas.find(r.persona.id) : undefined;
  return {
    ...r,
    template: file?.templatePath ?? config.comfy.defaultTemplate,
    llmPrompts: config.llm !== undefined,
    width: file?.width ?? 768,
    height: file?.height ?? 1024,
    negativePrompt: file?.negativePrompt ?? NEGATIVE_PROMPT,
    ...(file && Object.keys(file.identity).length ? { identity: file.identity } : {}),
    limits: {
      maxConcurrentPerUser: config.maxConcurrentGenerations,
      generationTimeoutMs: config.generationTimeoutMs,
      pickupTimeoutMs: config.comfy.pickupTimeoutMs,
      heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
    },
  };
}

/** A photo the daily quota did not allow: the persona's in-character refusal, with the numbers. */
export interface QuotaRefusalMessage {
  id: string;
  role: "assistant";
  kind: "quota";
  content: string;
  createdAt: string;
  quota: QuotaState;
}

/** Composes the in-character "no more photos today" for a refused photo. */
export async function quotaRefusal(
  deps: Pick<ServiceDeps, "composeMessage">,
  r: { persona: Persona; description: string; language: CompanionPhotoRequest["language"]; variantSeed: string; quota: QuotaState },
): Promise<QuotaRefusalMessage> {
  const composed = await deps.composeMessage({ kind: "quota", persona: r.persona, description: r.description, language: r.language, variantSeed: r.variantSeed });
  return { id: crypto.randomUUID(), role: "assistant", kind: "quota", content: composed.content, createdAt: new Date().toISOString(), quota: r.quota };
}

/** What a started photo says now: its waiting message, or the persona's refusal when the policy stopped it. */
export interface StartedPhoto {
  status: "pending" | "refused";
  message: ChatMessage;
}

export function companionPhotoService(deps: ServiceDeps) {
  const quotas = quotaService(deps);
  /** A persona file named by the request must be one the GPU pool can serve now. */
  async function checkPersona(persona: CompanionPhotoRequest["persona"]): Promise<void> {
    const file = persona.id ? deps.personas.find(persona.id) : undefined;
    if (file) await personaAvailableOrRefuse(deps.personas, file);
  }

  /**
   * Starts one photo and returns its waiting message — or, when the content policy refuses the
   * description, records it as refused (no workflow, no GPU, no quota spent) and returns the
   * persona's refusal. The policy check and the waiting message run side by side (see
   * contentPolicy.ts). A regenerated photo keeps the original's template, size, negative prompt
   * and prompt, brings its new seed, and says "let me take another one". Over a daily quota it
   * throws QuotaExceeded (the reply turns that into the persona's "no more photos today").
   */
  async function start(
    r: CompanionPhotoRequest,
    again?: Partial<Pick<CompanionPhotoInput, "template" | "width" | "height" | "negativePrompt" | "prompt">> & { seed: number; regeneratedFrom: string },
  ): Promise<StartedPhoto> {
    await checkPersona(r.persona);
    const [refusal, composed] = await Promise.all([
      deps.safety.screen(r.tenantId, r.description),
      deps.composeMessage({
        kind: again ? "regenerating" : "waiting",
        persona: r.persona,
        description: r.description,
        language: r.language,
        variantSeed: `${r.generationId}:waiting`,
      }),
    ]);
    if (refusal) {
      const record = companionPhotoRecord(companionPhotoInput(deps.config, deps.personas, r));
      const message = await deps.records.recordRefusal({
        record,
        refusal,
        message: { id: crypto.randomUUID(), content: refusalMessage(r.language, r.persona.personality) },
      });
      return { status: "refused", message };
    }
    // Spent before the start, given back if the workflow cannot be started: only started photos count.
    const limits = await quotas.limitsOf(r.tenantId);
    const reservation = await quotas.reserve({ tenantId: r.tenantId, userKey: userQuotaKey(r.userId), limits });
    const configured = companionPhotoInput(deps.config, deps.personas, r);
    const waitingMessage = { id: crypto.randomUUID(), content: composed.content };
    const base = { ...configured, limits: { ...configured.limits, maxConcurrentPerUser: limits.maxConcurrentPerUser } };
    const input: CompanionPhotoInput = {
      ...base,
      ...(again
        ? {
            template: again.template ?? base.template,
            width: again.width ?? base.width,
            height: again.height ?? base.height,
            negativePrompt: again.negativePrompt ?? base.negativePrompt,
            seed: again.seed,
            regeneratedFrom: again.regeneratedFrom,
            ...(again.prompt !== undefined ? { prompt: again.prompt } : {}),
          }
        : {}),
      waitingMessage,
    };
    const waiting = await startSpending(reservation, (started) => startGeneration(
      deps,
      {
        workflow: companionPhoto,
        workflowId: companionPhotoWorkflowId(r.generationId),
        taskQueue: deps.config.temporal.taskQueue,
        input,
        tenantId: r.tenantId,
        kind: "companion_photo",
        searchAttributes: [
          { key: DarkroomAgent, value: r.agentId },
          { key: DarkroomUser, value: r.userId },
        ],
        onConflict: "fail",
      },
      () => {
        started();
        return writeFirstRecords(deps.prisma, { ...companionPhotoRecord(input), waitingMessage });
      },
    ));
    return { status: "pending", message: waiting };
  }

  return {
    start,

    /** An agent's reply: the text without its tags, and one started photo per `[IMAGE: …]` tag. */
    async reply(r: { tenantId: string; agentId: string; userId: string; text: string; persona?: Persona; conversationId?: string }) {
      const parsed = parseImageTags(r.text);
      const textMessage = parsed.text ? [{ id: crypto.randomUUID(), role: "assistant" as const, kind: "text" as const, content: parsed.text }] : [];
      if (parsed.tags.length === 0) return { text: r.text, messages: textMessage, generations: [] };

      const persona = { ...(r.persona ?? { name: r.agentId, personality: "" }) };
      // Before any photo of the reply starts: all of them or none.
      await checkPersona(persona);
      // Declared, else what the reply itself is written in, else the persona file's own language, else English.
      const language = chooseLanguage({
        declared: persona.language,
        text: `${parsed.text} ${parsed.tags.map((tag) => tag.description).join(" ")}`,
        persona: persona.id ? deps.personas.find(persona.id)?.language : undefined,
      });
      const outcomes = await Promise.all(
        parsed.tags.map(async (tag) => {
          const generationId = crypto.randomUUID();
          try {
            const outcome = await start({
              generationId,
              tenantId: r.tenantId,
              agentId: r.agentId,
              userId: r.userId,
              conversationId: r.conversationId,
              description: tag.description,
              persona,
              language,
            });
            return { generationId, description: tag.description, status: outcome.status, message: messageView(outcome.message) as ReturnType<typeof messageView> | QuotaRefusalMessage, started: true };
          } catch (err) {
            // The chat still gets its answer at once: the persona says "no more photos today".
            if (!(err instanceof QuotaExceeded)) throw err;
            const refusal = await quotaRefusal(deps, { persona, description: tag.description, language, variantSeed: `${generationId}:quota`, quota: err.quota });
            return { generationId, description: tag.description, status: "pending" as const, message: refusal, started: false };
          }
        }),
      );
      const started = outcomes.filter((o) => o.started);
      return {
        text: parsed.text,
        messages: [...textMessage, ...outcomes.map((o) => o.message)],
        generations: started.map((s) => ({
          id: s.generationId,
          status: s.status,
          description: s.description,
          workflowId: companionPhotoWorkflowId(s.generationId),
        })),
      };
    },

    /** Polling: what is still being made for this user, and what finished in the last 5 minutes. */
    async pendingImages(r: { tenantId: string; agentId: string; userId: string }) {
      const { prisma } = deps;
      const where = { tenantId: r.tenantId, agentId: r.agentId, userId: r.userId };
      const [pending, finished] = await Promise.all([
        prisma.generation.findMany({
          where: { ...where, status: { in: [...OPEN_STATUSES] } },
          orderBy: { createdAt: "asc" },
          include: { images: true },
          take: 100,
        }),
        prisma.generation.findMany({
          where: { ...where, status: { in: [...FINAL_STATUSES] }, completedAt: { gte: new Date(Date.now() - RECENT_MS) } },
          orderBy: { completedAt: "asc" },
          include: { images: { orderBy: { outputIndex: "asc" } } },
          take: 100,
        }),
      ]);
      const messageIds = finished.map((g) => g.completedMessageId).filter((id): id is string => !!id);
      const messages = new Map((await prisma.message.findMany({ where: { id: { in: messageIds } } })).map((m) => [m.id, m]));
      return {
        pending: pending.map((g) => generationView(deps.signer, g)),
        completed: finished.map((g) => {
          const view = generationView(deps.signer, g);
          const m = g.completedMessageId ? messages.get(g.completedMessageId) : undefined;
          return { ...view, imageUrl: view.images[0]?.url, completedMessage: m ? messageView(m) : undefined };
        }),
      };
    },
  };
}

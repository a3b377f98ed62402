/**
 * Persona dialogs: the chat backend posts every dialog message; every few messages (an interval
 * drawn per dialog) a picture is made from the recent conversation with the persona's own ComfyUI
 * template and delivered to the dialog's Telegram chat and/or signed webhook.
 *
 * Each posted message is numbered under a per-dialog lock, so concurrent posts never share a number
 * or skip a trigger. When the number reaches the dialog's next trigger, the picture's workflow is
 * started and its first records written inside the same transaction that counted the message (the
 * one start contract, startGeneration.ts): a failed start rolls the count back, so a dialog never
 * counts a trigger whose picture was not started.
 */
import { writeChatImageRecord } from "../activities/db/chatImages";
import type { PersonaAvailability, PersonaDefinition } from "../activities/personas";
import { personaAvailableOrRefuse } from "./personaAvailability";
import { chatImageRecord, chatImageWorkflowId, type ChatImageInput } from "../domain/chatImage";
import { drawInterval, imageSeed } from "../domain/dialogCadence";
import { DarkroomDialog } from "../domain/searchAttributes";
import type { Config } from "../lib/config";
import { checkWebhookUrl, DeliveryTargetInvalid, normalizeTelegramChatId, type DeliveryTargets } from "../lib/deliveryTargets";
import { chatImage } from "../workflows/chatImage";
import type { ServiceDeps } from "./deps";
import { notFound, ServiceRefusal } from "./errors";
import { startGeneration } from "./startGeneration";
import { quotaRefusal, type QuotaRefusalMessage } from "./companionPhotos";
import { dialogQuotaKey, QuotaExceeded, quotaService, type QuotaState } from "./quotas";

export interface PostedMessage {
  tenantId: string;
  dialogId: string;
  role: "user" | "assistant";
  text: string;
  /** A persona id (case-insensitive). */
  persona: string;
  /** Replaces the dialog's delivery targets when given (checked before anything is recorded). */
  delivery?: { telegram?: { chatId: string | number }; webhook?: { url: string } };
}

export interface PostedMessageResult {
  messageCount: number;
  imageTriggered: boolean;
  generationId?: string;
  nextTriggerAt: number;
  /** The picture was due but the daily quota is used up: the persona's refusal, with the numbers. */
  messages?: QuotaRefusalMessage[];
  quota?: QuotaState;
}

export function chatImageInput(
  config: Config,
  r: { generationId: string; tenantId: string; dialogId: string; persona: PersonaDefinition; seed: number; delivery: DeliveryTargets; messageNumber: number; text: string },
): ChatImageInput {
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
    ...(Object.keys(r.persona.identity).length ? { identity: r.persona.identity } : {}),
    delivery: r.delivery,
    trigger: {
      messageNumber: r.messageNumber,
      text: r.text,
      persona: { name: r.persona.name, personality: r.persona.personality, language: r.persona.language },
    },
    limits: {
      timeoutMs: config.chatImages.timeoutMs,
      pickupTimeoutMs: config.comfy.pickupTimeoutMs,
      heartbeatTimeoutMs: config.comfy.heartbeatTimeoutMs,
      delivery: config.delivery,
    },
  };
}

function availabilityView(a: PersonaAvailability) {
  return a.available ? { available: true } : { available: false, unavailableReason: a.unavailableReason ?? "unavailable" };
}

export function dialogService(deps: ServiceDeps) {
  const { prisma, config, personas } = deps;
  const quotas = quotaService(deps);

  const personaOrRefuse = (id: string) => {
    const persona = personas.find(id);
    if (!persona) {
      throw new ServiceRefusal("invalid", "unknown_persona", `Unknown persona "${id}"; known personas: ${personas.ids().join(", ")}`, { known: personas.ids() });
    }
    return persona;
  };

  /** Validates the targets (and refuses private webhook hosts) before anything is recorded. */
  async function checkDelivery(raw: NonNullable<PostedMessage["delivery"]>): Promise<DeliveryTargets> {
    try {
      const out: DeliveryTargets = {};
      if (raw.telegram) {
        if (!config.telegram.botToken) throw new ServiceRefusal("invalid", "telegram_not_configured", "Telegram delivery needs TELEGRAM_BOT_TOKEN on the server");
        out.telegram = { chatId: normalizeTelegramChatId(raw.telegram.chatId) };
      }
      if (raw.webhook) {
        if (!config.webhooks.secret) throw new ServiceRefusal("invalid", "webhook_not_configured", "Webhook delivery needs WEBHOOK_SECRET on the server");
        out.webhook = { url: await checkWebhookUrl(raw.webhook.url, { allowPrivate: config.webhooks.allowPrivate }) };
      }
      return out;
    } catch (err) {
      if (err instanceof DeliveryTargetInvalid) throw new ServiceRefusal("invalid", err.code, err.message);
      throw err;
    }
  }

  return {
    /** Every persona, with whether the GPU pool can make its pictures now (and why not). */
    /** The persona ids this server knows, available or not. */
    personaIds(): string[] {
      return personas.ids();
    },

    async personas() {
      await personas.refresh(2000).catch(() => undefined);
      return personas.list().map((p) => ({
        ...availabilityView(personas.availability(p.id)),
        id: p.id,
        name: p.name,
        language: p.language,
        personality: p.personality,
        style: p.style,
        appearance: p.appearance,
        negativePrompt: p.negativePrompt,
        checkpoint: p.checkpoint,
        width: p.width,
        height: p.height,
        workflow: p.template.graph,
      }));
    },

    /** Counts a dialog message; when the cadence says so, starts the persona picture. */
    async post(m: PostedMessage): Promise<PostedMessageResult> {
      const persona = personaOrRefuse(m.persona);
      await personaAvailableOrRefuse(personas, persona);
      const newDelivery = m.delivery ? await checkDelivery(m.delivery) : undefined;
      const every = config.chatImages.every;
      const limits = await quotas.limitsOf(m.tenantId);
      const result: PostedMessageResult & { refused?: QuotaState } = await prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dialog/${m.tenantId}/${m.dialogId}`}))`;
          let dialog = await tx.dialog.findUnique({ where: { tenantId_dialogId: { tenantId: m.tenantId, dialogId: m.dialogId } } });
          dialog ??= await tx.dialog.create({
            data: {
              id: crypto.randomUUID(),
              tenantId: m.tenantId,
              dialogId: m.dialogId,
              personaId: persona.id,
              nextTriggerAt: drawInterval(m.tenantId, m.dialogId, 0, every),
              triggerDraws: 1,
            },
          });
          const number = dialog.messageCount + 1;
          await tx.dialogMessage.create({ data: { id: crypto.randomUUID(), dialogPk: dialog.id, number, role: m.role, text: m.text } });
          const delivery = (newDelivery ?? (dialog.delivery as DeliveryTargets | null) ?? {}) as DeliveryTargets;
          const due = number >= dialog.nextTriggerAt;
          const nextTriggerAt = due ? number + drawInterval(m.tenantId, m.dialogId, dialog.triggerDraws, every) : dialog.nextTriggerAt;
          // A due picture spends the dialog's and the tenant's daily quota in this transaction, so a
          // failed start rolls the spending back with the count. A used-up quota skips this picture
          // (the cadence moves on, so the persona does not refuse at every following message).
          let refused: QuotaState | undefined;
          if (due) {
            try {
              await quotas.reserve({ tenantId: m.tenantId, userKey: dialogQuotaKey(m.dialogId), limits }, tx);
            } catch (err) {
              if (!(err instanceof QuotaExceeded)) throw err;
              refused = err.quota;
            }
          }
          const triggered = due && !refused;
          await tx.dialog.update({
            where: { id: dialog.id },
            data: {
              messageCount: number,
              personaId: persona.id,
              ...(newDelivery ? { delivery: newDelivery as object } : {}),
              ...(due ? { nextTriggerAt, triggerDraws: { increment: 1 } } : {}),
              ...(triggered ? { lastImageMessageNo: number, lastImageGenerationAt: new Date() } : {}),
            },
          });
          if (!triggered) return { messageCount: number, imageTriggered: false, nextTriggerAt, refused };

          const generationId = crypto.randomUUID();
          const input = chatImageInput(config, {
            generationId,
            tenantId: m.tenantId,
            dialogId: m.dialogId,
            persona,
            seed: imageSeed(m.tenantId, m.dialogId, number),
            delivery,
            messageNumber: number,
            text: m.text,
          });
          await startGeneration(
            deps,
            {
              workflow: chatImage,
              workflowId: chatImageWorkflowId(generationId),
              taskQueue: config.temporal.taskQueue,
              input,
              tenantId: m.tenantId,
              kind: "chat_image",
              searchAttributes: [{ key: DarkroomDialog, value: m.dialogId }],
              onConflict: "fail",
            },
            () => writeChatImageRecord(tx, chatImageRecord({ ...input, trigger: input.trigger! })),
          );
          return { messageCount: number, imageTriggered: true, generationId, nextTriggerAt };
        },
        { timeout: 20_000, maxWait: 20_000 },
      );
      const { refused, ...answer } = result;
      if (!refused) return answer;
      const language = persona.language as Parameters<typeof quotaRefusal>[1]["language"];
      const refusal = await quotaRefusal(deps, {
        persona: { name: persona.name, personality: persona.personality, language },
        description: m.text.slice(0, 300),
        language,
        variantSeed: `${m.tenantId}/${m.dialogId}#${answer.messageCount}:quota`,
        quota: refused,
      });
      return { ...answer, messages: [refusal], quota: refused };
    },

    async get(tenantId: string, dialogId: string) {
      const d = await prisma.dialog.findUnique({ where: { tenantId_dialogId: { tenantId, dialogId } } });
      if (!d) throw notFound("Dialog", dialogId);
      return {
        dialogId: d.dialogId,
        persona: d.personaId,
        messageCount: d.messageCount,
        lastImageMessageNo: d.lastImageMessageNo,
        lastImageGenerationAt: d.lastImageGenerationAt?.toISOString() ?? null,
        nextTriggerAt: d.nextTriggerAt,
        delivery: d.delivery ?? {},
      };
    },

    /** Resets a dialog: its messages and cadence start again. */
    async reset(tenantId: string, dialogId: string): Promise<void> {
      const { count } = await prisma.dialog.deleteMany({ where: { tenantId, dialogId } });
      if (count === 0) throw notFound("Dialog", dialogId);
    },
  };
}

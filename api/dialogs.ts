/**
 * Chat-triggered persona images (seed 002): the chat backend posts every dialog message; every few
 * messages (an interval drawn per dialog) a picture is made from the recent conversation with the
 * persona's own ComfyUI template and delivered to the dialog's Telegram chat and/or signed webhook.
 */
import { Elysia, t } from "elysia";
import { startChatImage } from "../service/chatImages";
import { checkWebhookUrl, DeliveryTargetInvalid, normalizeTelegramChatId, type DeliveryTargets } from "../lib/deliveryTargets";
import { postDialogMessage } from "../service/dialogs";
import type { PersonaCatalog } from "../activities/personas";
import { authPlugin } from "./auth";
import type { ApiContext } from "./context";
import { HttpError, notFound } from "./errors";

const DialogId = t.Object({ dialogId: t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._:@-]+$", description: "Your dialog id" }) });

const DeliverySchema = t.Object({
  telegram: t.Optional(t.Object({ chatId: t.Union([t.String({ maxLength: 64 }), t.Integer()], { description: "Integer chat id or @channelusername" }) })),
  webhook: t.Optional(t.Object({ url: t.String({ maxLength: 2000, description: "Receives Standard-Webhooks-signed POSTs" }) })),
});

export function dialogRoutes(ctx: ApiContext, personas: PersonaCatalog = ctx.personas) {
  const personaOrThrow = (id: string) => {
    const persona = personas.find(id);
    if (!persona) {
      throw new HttpError(400, "unknown_persona", `Unknown persona "${id}"; known personas: ${personas.ids().join(", ")}`, { known: personas.ids() });
    }
    return persona;
  };

  /** Validates the targets (and refuses private webhook hosts) before anything is recorded. */
  const checkDelivery = async (raw: { telegram?: { chatId: string | number }; webhook?: { url: string } }): Promise<DeliveryTargets> => {
    try {
      const out: DeliveryTargets = {};
      if (raw.telegram) {
        if (!ctx.config.telegram.botToken) throw new HttpError(400, "telegram_not_configured", "Telegram delivery needs TELEGRAM_BOT_TOKEN on the server");
        out.telegram = { chatId: normalizeTelegramChatId(raw.telegram.chatId) };
      }
      if (raw.webhook) {
        if (!ctx.config.webhooks.secret) throw new HttpError(400, "webhook_not_configured", "Webhook delivery needs WEBHOOK_SECRET on the server");
        out.webhook = { url: await checkWebhookUrl(raw.webhook.url, { allowPrivate: ctx.config.webhooks.allowPrivate }) };
      }
      return out;
    } catch (err) {
      if (err instanceof DeliveryTargetInvalid) throw new HttpError(400, err.code, err.message);
      throw err;
    }
  };

  return new Elysia({ tags: ["Dialogs"] })
    .use(authPlugin(ctx.resolveTenant))
    .get(
      "/v1/personas",
      () => ({
        personas: personas.list().map((p) => ({
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
        })),
      }),
      { detail: { summary: "The personas and their ComfyUI workflow templates (API format)" } },
    )
    .post(
      "/v1/dialogs/:dialogId/messages",
      async ({ params, body, tenantId }) => {
        const persona = personaOrThrow(body.persona);
        const delivery = body.delivery ? await checkDelivery(body.delivery) : undefined;
        const result = await postDialogMessage(
          ctx.prisma,
          ctx.config.chatImages.every,
          { tenantId, dialogId: params.dialogId, role: body.role, text: body.text, persona, delivery },
          (request) =>
            startChatImage(ctx.temporal, ctx.config, request).catch((err: unknown) => {
              throw new HttpError(503, "orchestrator_unavailable", `Could not start the image job: ${(err as Error).message}`);
            }),
        );
        return {
          messageCount: result.messageCount,
          imageTriggered: result.imageTriggered,
          nextTriggerAt: result.nextTriggerAt,
          ...(result.generationId ? { generationId: result.generationId } : {}),
        };
      },
      {
        params: DialogId,
        body: t.Object({
          role: t.Union([t.Literal("user"), t.Literal("assistant")]),
          text: t.String({ minLength: 1, maxLength: 20_000 }),
          persona: t.String({ minLength: 1, maxLength: 64, description: "A persona id from GET /v1/personas, e.g. LINA (case-insensitive)" }),
          delivery: t.Optional(DeliverySchema),
        }),
        detail: {
          summary: "Count a dialog message; every 3–5 messages a persona picture is made and delivered",
          description: "The delivery targets given here replace the dialog's earlier ones.",
        },
      },
    )
    .get(
      "/v1/dialogs/:dialogId",
      async ({ params, tenantId }) => {
        const d = await ctx.prisma.dialog.findUnique({ where: { tenantId_dialogId: { tenantId, dialogId: params.dialogId } } });
        if (!d) throw notFound("Dialog", params.dialogId);
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
      { params: DialogId, detail: { summary: "A dialog's message count and picture cadence" } },
    )
    .delete(
      "/v1/dialogs/:dialogId",
      async ({ params, tenantId, set }) => {
        // Starting over (a bot's /start): the count and cadence restart; pictures already made stay.
        const { count } = await ctx.prisma.dialog.deleteMany({ where: { tenantId, dialogId: params.dialogId } });
        if (count === 0) throw notFound("Dialog", params.dialogId);
        set.status = 204;
      },
      { params: DialogId, detail: { summary: "Reset a dialog: its messages and cadence start again" } },
    )
    .get(
      "/v1/generations/:id/deliveries",
      async ({ params, tenantId }) => {
        const g = await ctx.prisma.generation.findFirst({ where: { id: params.id, tenantId }, select: { id: true } });
        if (!g) throw notFound("Generation", params.id);
        const rows = await ctx.prisma.delivery.findMany({ where: { generationId: g.id }, orderBy: { createdAt: "asc" } });
        return {
          deliveries: rows.map((d) => ({
            id: d.id,
            channel: d.channel,
            target: d.target,
            status: d.status,
            attempts: d.attempts,
            lastError: d.lastError,
            externalId: d.externalId,
            deliveredAt: d.deliveredAt?.toISOString() ?? null,
          })),
        };
      },
      {
        params: t.Object({ id: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) }),
        detail: { summary: "Where a generation was delivered (Telegram, webhook), with attempts and errors" },
      },
    );
}

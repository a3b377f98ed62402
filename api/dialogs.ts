/**
 * Chat-triggered persona images: the chat backend posts every dialog message; every few messages
 * (an interval drawn per dialog) a picture is made from the recent conversation with the persona's
 * own ComfyUI template and delivered to the dialog's Telegram chat and/or signed webhook.
 */
import { Elysia, t } from "elysia";
import { authPlugin } from "./auth";
import { DeliveryTargetInvalid, normalizeTelegramChatId, type DeliveryTargets } from "../lib/deliveryTargets";
import { HttpError } from "./errors";
import type { ApiContext } from "./context";
import { documentedErrors, errors, Int, models } from "./schemas";

const DialogId = t.Object({ dialogId: t.String({ minLength: 1, maxLength: 200, pattern: "^[A-Za-z0-9._:@-]+$", description: "Your dialog id" }) });

const DeliverySchema = t.Object({
  telegram: t.Optional(
    t.Object({
      chatId: t.Union([t.String({ maxLength: 64, pattern: "^\\s*(-?[1-9][0-9]{0,15}|@[A-Za-z][A-Za-z0-9_]{3,31})\\s*$" }), Int({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })], {
        description: "Integer chat id or @channelusername",
      }),
    }),
  ),
  webhook: t.Optional(t.Object({ url: t.String({ maxLength: 2000, format: "uri", description: "Receives Standard-Webhooks-signed POSTs; a public http(s) host" }) })),
});

/** A regular expression matching any of the words in any letter case (JSON Schema has no flags). */
function caseInsensitiveChoice(words: string[]): string {
  const letters = (w: string) => [...w].map((c) => (c.toLowerCase() !== c.toUpperCase() ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&"))).join("");
  return `^(${words.map(letters).join("|")})$`;
}

/** The persona ids this server has, for the document; none when only the document is built. */
function knownPersonas(dialogs: ApiContext["service"]["dialogs"]): string[] {
  try {
    return dialogs.personaIds();
  } catch {
    return [];
  }
}

export function dialogRoutes(ctx: ApiContext) {
  const { dialogs, generations } = ctx.service;
  const personaIds = knownPersonas(dialogs);
  const personaDescription = "A persona id from GET /v1/personas, e.g. LINA (case-insensitive)";
  return new Elysia({ tags: ["Dialogs"] })
    .use(models)
    .use(authPlugin(ctx.resolveTenant))
    .get("/v1/personas", async () => ({ personas: await dialogs.personas() }), {
      response: { 200: "Personas", ...errors(401) },
      detail: { operationId: "listPersonas", summary: "The personas and their ComfyUI workflow templates (API format)" },
    })
    .post(
      "/v1/dialogs/:dialogId/messages",
      async ({ params, body, tenantId }) => {
        const result = await dialogs.post({ tenantId, dialogId: params.dialogId, role: body.role, text: body.text, persona: body.persona, delivery: body.delivery });
        return {
          messageCount: result.messageCount,
          imageTriggered: result.imageTriggered,
          nextTriggerAt: result.nextTriggerAt,
          ...(result.generationId ? { generationId: result.generationId } : {}),
          ...(result.quota ? { messages: result.messages, quota: result.quota } : {}),
        };
      },
      {
        params: DialogId,
        parse: "json",
        // Before validation, so a persona or chat id the schema refuses gets the same answer (code,
        // known personas) as the service gives; the schema documents the same rules for clients.
        transform({ body }) {
          const b = body as { persona?: unknown; delivery?: { telegram?: { chatId?: unknown } } } | undefined;
          if (!b || typeof b !== "object") return;
          const persona = b.persona;
          if (typeof persona === "string" && personaIds.length > 0 && !personaIds.some((id) => id.toUpperCase() === persona.toUpperCase())) {
            throw new HttpError(400, "unknown_persona", `Unknown persona "${persona.slice(0, 64)}"; known personas: ${personaIds.join(", ")}`, { known: personaIds });
          }
          const chatId = b.delivery && typeof b.delivery === "object" ? b.delivery.telegram?.chatId : undefined;
          if (typeof chatId === "string" || typeof chatId === "number") {
            try {
              normalizeTelegramChatId(chatId);
            } catch (err) {
              if (err instanceof DeliveryTargetInvalid) throw new HttpError(400, err.code, err.message);
              throw err;
            }
          }
        },
        response: { 200: "DialogMessageResult", ...errors(400, 401, 409, 413, 503) },
        body: t.Object({
          role: t.Union([t.Literal("user"), t.Literal("assistant")]),
          text: t.String({ minLength: 1, maxLength: 20_000 }),
          persona:
            personaIds.length > 0
              ? t.String({ maxLength: 64, description: personaDescription, examples: personaIds, pattern: caseInsensitiveChoice(personaIds) })
              : t.String({ minLength: 1, maxLength: 64, description: personaDescription }),
          delivery: t.Optional(DeliverySchema),
        }),
        detail: {
          operationId: "postDialogMessage",
          summary: "Count a dialog message; every 3–5 messages a persona picture is made and delivered",
          description: "The delivery targets given here replace the dialog's earlier ones.",
        },
      },
    )
    .get("/v1/dialogs/:dialogId", async ({ params, tenantId }) => {
      const dialog = await dialogs.get(tenantId, params.dialogId);
      return { ...dialog, delivery: dialog.delivery as DeliveryTargets };
    }, {
      params: DialogId,
      response: { 200: "Dialog", ...errors(400, 401, 404) },
      detail: { operationId: "getDialog", summary: "A dialog's message count and picture cadence" },
    })
    .delete(
      "/v1/dialogs/:dialogId",
      async ({ params, tenantId, set }) => {
        // Starting over (a bot's /start): the count and cadence restart; pictures already made stay.
        await dialogs.reset(tenantId, params.dialogId);
        set.status = 204;
      },
      {
        params: DialogId,
        // Documented by hand: the OpenAPI plugin renders a body-less 204 schema as a broken media type.
        detail: {
          operationId: "resetDialog",
          summary: "Reset a dialog: its messages and cadence start again",
          responses: { "204": { description: "Reset; the next message is number 1" }, ...documentedErrors(400, 401, 404) },
        },
      },
    )
    .get("/v1/generations/:id/deliveries", ({ params, tenantId }) => generations.deliveries(tenantId, params.id), {
      params: t.Object({ id: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) }),
      response: { 200: "Deliveries", ...errors(400, 401, 404) },
      detail: { operationId: "listDeliveries", summary: "Where a generation was delivered (Telegram, webhook), with attempts and errors" },
    });
}

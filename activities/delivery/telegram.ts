/**
 * Delivery to a Telegram chat through the Bot API: `sendPhoto` (multipart upload, the completion
 * message as caption) for a finished picture, `sendMessage` for the persona's failure message.
 * A 429 is retried after Telegram's own `retry_after`; a 4xx that retrying cannot fix (chat not
 * found, bot blocked) fails the delivery at once; everything else is retried with backoff.
 */
import { Context } from "@temporalio/activity";
import { ApplicationFailure } from "@temporalio/common";
import { loadSharp } from "../../lib/sharp";
import type { ImageStore } from "../../lib/storage";
import type { DeliveryRecords } from "./records";
import { activityLog } from "../log";

export interface TelegramSettings {
  apiUrl: string;
  botToken?: string;
}

interface BotApiAnswer {
  ok?: boolean;
  result?: { message_id?: number };
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** Telegram's caption limit. */
const MAX_CAPTION = 1024;
/** Telegram shows a chat action for 5 s; refreshing every 4 s keeps it on without a gap. */
export const CHAT_ACTION_REFRESH_MS = 4000;
/** How often the chat-action loop heartbeats (and so hears of a cancel). */
const CHAT_ACTION_HEARTBEAT_MS = 250;
/** How often it looks whether the picture's outcome is recorded, to end without waiting for the cancel. */
const CHAT_ACTION_OUTCOME_CHECK_MS = 500;

export function createTelegramDeliveryActivities(deps: { settings: TelegramSettings; store: ImageStore; records: DeliveryRecords }) {
  const { records } = deps;

  async function call(method: string, body: FormData | string): Promise<{ status: number; answer: BotApiAnswer }> {
    const token = deps.settings.botToken;
    if (!token) throw ApplicationFailure.nonRetryable("TELEGRAM_BOT_TOKEN is not set", "TelegramNotConfigured");
    let res: Response;
    const url = `${deps.settings.apiUrl}/bot${token}/${method}`;
    // The URL names the Bot API in use; the logger's scrubber replaces the token in it.
    activityLog({ channel: "telegram" }).debug({ url, method }, "telegram: calling the Bot API");
    try {
      res = await fetch(url, {
        method: "POST",
        body,
        headers: typeof body === "string" ? { "content-type": "application/json" } : undefined,
        signal: AbortSignal.timeout(20_000),
      });
    } catch (err) {
      // Never echo the request URL: it carries the bot token.
      throw new Error(`Telegram ${method}: the Bot API is unreachable (${(err as Error).name})`);
    }
    const answer = (await res.json().catch(() => ({}))) as BotApiAnswer;
    activityLog({ channel: "telegram" }).debug({ method, status: res.status, ok: answer.ok, description: answer.description }, "telegram: the Bot API answered");
    return { status: res.status, answer };
  }

  return {
    /**
     * Shows "sending photo…" in the chat until the workflow cancels this activity (the picture is
     * ready, failed, or the generation was cancelled): `sendChatAction upload_photo` every 4 s. It
     * ends by the workflow's cancellation (or a chat that cannot be written to), and the workflow
     * waits for it to end before it delivers, so no action is ever sent after the photo. A cancel
     * reaches the activity only with a heartbeat answer (up to 0.8 × the heartbeat timeout later),
     * so it also ends by itself as soon as the generation's outcome is recorded (looked up every
     * 0.5 s), which the flow writes before stopping the status: the photo waits well under a second.
     * A failed action is cosmetic: it is tried again at the next refresh, never raised.
     */
    async showUploadingPhoto(input: { chatId: string; generationId?: string }): Promise<void> {
      const ctx = Context.current();
      const body = JSON.stringify({ chat_id: input.chatId, action: "upload_photo" });
      for (;;) {
        try {
          const { status, answer } = await call("sendChatAction", body);
          const code = answer.error_code ?? status;
          // Chat not found, bot blocked: no later attempt can succeed (the delivery will say so).
          if (!answer.ok && code >= 400 && code < 500 && code !== 429) return;
        } catch (err) {
          if (err instanceof ApplicationFailure) return; // no bot token
        }
        for (let waited = 0; waited < CHAT_ACTION_REFRESH_MS; waited += CHAT_ACTION_HEARTBEAT_MS) {
          ctx.heartbeat();
          // Rejects with the cancellation as soon as the workflow's cancel reaches this worker.
          await ctx.sleep(CHAT_ACTION_HEARTBEAT_MS);
          if (input.generationId && (waited + CHAT_ACTION_HEARTBEAT_MS) % CHAT_ACTION_OUTCOME_CHECK_MS === 0) {
            const open = await records.stillOpen(input.generationId).catch(() => true);
            if (!open) return;
          }
        }
      }
    },

    async deliverToTelegram(input: { generationId: string; chatId: string }): Promise<{ messageId: string }> {
      const { delivery, alreadyDelivered } = await records.beginAttempt(input.generationId, "telegram", input.chatId);
      if (alreadyDelivered) return { messageId: delivery.externalId ?? "" };
      const content = await records.content(input.generationId);
      try {
        let method: string;
        let body: FormData | string;
        const image = content.generation.status === "completed" ? content.images[0] : undefined;
        if (image) {
          const stored = await deps.store.get(image.storageKey);
          if (!stored) throw new Error(`Stored image ${image.storageKey} is missing`);
          // Telegram compresses photos to JPEG anyway; sending JPEG keeps WebP from becoming a sticker.
          const sharp = await loadSharp();
          const jpeg = await sharp(stored).jpeg({ quality: 90 }).toBuffer();
          const form = new FormData();
          form.set("chat_id", input.chatId);
          form.set("photo", new Blob([new Uint8Array(jpeg)], { type: "image/jpeg" }), `${content.generation.id}.jpg`);
          if (content.text) form.set("caption", content.text.slice(0, MAX_CAPTION));
          method = "sendPhoto";
          body = form;
        } else {
          method = "sendMessage";
          body = JSON.stringify({ chat_id: input.chatId, text: content.text || "…" });
        }
        const { status, answer } = await call(method, body);
        if (answer.ok && answer.result?.message_id !== undefined) {
          const messageId = String(answer.result.message_id);
          await records.succeeded(delivery.id, messageId);
          return { messageId };
        }
        const code = answer.error_code ?? status;
        const reason = `Telegram ${method} answered ${code}: ${answer.description ?? "no description"}`;
        if (code === 429) {
          const after = Math.max(1, Number(answer.parameters?.retry_after ?? 1));
          throw ApplicationFailure.create({ message: reason, type: "TelegramRateLimited", nextRetryDelay: after * 1000 });
        }
        if (code >= 400 && code < 500) throw ApplicationFailure.nonRetryable(reason, "TelegramRejected");
        throw ApplicationFailure.retryable(reason, "TelegramUnavailable");
      } catch (err) {
        const final = err instanceof ApplicationFailure && err.nonRetryable === true;
        await records.failedAttempt(delivery.id, (err as Error).message, final);
        throw err;
      }
    },
  };
}

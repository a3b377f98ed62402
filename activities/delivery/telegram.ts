/**
 * Delivery to a Telegram chat through the Bot API: `sendPhoto` (multipart upload, the completion
 * message as caption) for a finished picture, `sendMessage` for the persona's failure message.
 * A 429 is retried after Telegram's own `retry_after`; a 4xx that retrying cannot fix (chat not
 * found, bot blocked) fails the delivery at once; everything else is retried with backoff.
 */
import { ApplicationFailure } from "@temporalio/common";
import sharp from "sharp";
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

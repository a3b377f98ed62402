/**
 * Delivery to the client's webhook, signed per Standard Webhooks. The `webhook-id` is the delivery's
 * id, the same on every retry, so receivers can drop duplicates; the timestamp and signature are
 * fresh per attempt. The URL is checked again before each attempt (DNS may have changed since the
 * request), and redirects are not followed, so a receiver cannot bounce us into the private network.
 */
import { ApplicationFailure } from "@temporalio/common";
import { checkWebhookUrl, DeliveryTargetInvalid } from "../../lib/deliveryTargets";
import { webhookHeaders } from "../../lib/standardWebhooks";
import type { DeliveryRecords } from "./records";
import { activityLog } from "../log";

export interface WebhookSettings {
  secret?: string;
  allowPrivate: boolean;
}

export function createWebhookDeliveryActivities(deps: {
  settings: WebhookSettings;
  records: DeliveryRecords;
  imageUrls(imageId: string): { url: string; thumbnailUrl: string };
}) {
  const { records } = deps;
  return {
    async deliverToWebhook(input: { generationId: string; url: string }): Promise<{ webhookId: string }> {
      const { delivery, alreadyDelivered } = await records.beginAttempt(input.generationId, "webhook", input.url);
      const webhookId = `msg_${delivery.id}`;
      if (alreadyDelivered) return { webhookId };
      try {
        const secret = deps.settings.secret;
        if (!secret) throw ApplicationFailure.nonRetryable("WEBHOOK_SECRET is not set", "WebhookNotConfigured");
        try {
          await checkWebhookUrl(input.url, { allowPrivate: deps.settings.allowPrivate });
        } catch (err) {
          if (err instanceof DeliveryTargetInvalid) throw ApplicationFailure.nonRetryable(err.message, "WebhookUrlRefused");
          throw err;
        }
        const c = await records.content(input.generationId);
        const completed = c.generation.status === "completed";
        const timestamp = Math.floor(Date.now() / 1000);
        const body = JSON.stringify({
          type: completed ? "chat_image.completed" : "chat_image.failed",
          timestamp: new Date(timestamp * 1000).toISOString(),
          data: {
            generationId: c.generation.id,
            dialogId: c.generation.dialogId,
            messageNumber: c.generation.messageNumber,
            persona: (c.generation.persona as { id?: string } | null)?.id,
            text: c.text,
            images: completed ? c.images.map((i) => ({ id: i.id, width: i.width, height: i.height, ...deps.imageUrls(i.id) })) : [],
          },
        });
        let res: Response;
        // The payload's image URLs carry signatures; the logger's scrubber replaces them.
        activityLog({ channel: "webhook" }).debug({ url: input.url, webhookId, payload: body }, "webhook: sending");
        try {
          res = await fetch(input.url, {
            method: "POST",
            headers: { "content-type": "application/json", ...webhookHeaders(secret, webhookId, timestamp, body) },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(15_000),
          });
        } catch (err) {
          throw new Error(`Webhook receiver unreachable (${(err as Error).name}: ${(err as Error).message})`);
        }
        await res.body?.cancel().catch(() => undefined);
        activityLog({ channel: "webhook" }).debug({ url: input.url, webhookId, status: res.status }, "webhook: the receiver answered");
        if (res.status >= 200 && res.status < 300) {
          await records.succeeded(delivery.id, webhookId);
          return { webhookId };
        }
        // 410 Gone is Standard Webhooks' "stop sending"; anything else may get better later.
        if (res.status === 410) throw ApplicationFailure.nonRetryable("Webhook receiver answered 410 Gone", "WebhookGone");
        throw ApplicationFailure.retryable(`Webhook receiver answered HTTP ${res.status}`, "WebhookRejected");
      } catch (err) {
        const final = err instanceof ApplicationFailure && err.nonRetryable === true;
        await records.failedAttempt(delivery.id, (err as Error).message, final);
        throw err;
      }
    },
  };
}

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the base64
 * part of a `whsec_…` secret. Signing and verifying are the spec authors' own package; this module
 * only fixes the shapes darkroom uses (headers out, a yes/no in).
 */
import { Webhook } from "standardwebhooks";

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

function webhookFor(secret: string): Webhook {
  // The package takes any key; a short one would make signatures easy to forge.
  if (Buffer.from(secret.replace(/^whsec_/, ""), "base64").length < 16) {
    throw new Error("The webhook secret must be whsec_ followed by at least 16 base64-encoded bytes");
  }
  return new Webhook(secret);
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return webhookFor(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): WebhookHeaders {
  return { "webhook-id": id, "webhook-timestamp": String(timestampSeconds), "webhook-signature": signWebhook(secret, id, timestampSeconds, body) };
}

/** True when one of the space-separated signatures matches and the timestamp is within five minutes of now. */
export function verifyWebhook(secret: string, headers: { id: string | null; timestamp: string | null; signature: string | null }, body: string): boolean {
  if (!headers.id || !headers.timestamp || !headers.signature) return false;
  try {
    webhookFor(secret).verify(body, { "webhook-id": headers.id, "webhook-timestamp": headers.timestamp, "webhook-signature": headers.signature }, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * Records chat-image workflow histories from real runs (dev server, PostgreSQL, ComfyUI, Telegram
 * and webhook simulators) into test/histories/chatImage-upload-photo-status-*.json, for the replay test:
 *   bun test/replay/record-chatImage.ts
 */
import { saveHistory } from "./saveHistory";
import { startTelegramSimulator } from "../../simulators/telegram";
import { startWebhookReceiver } from "../../simulators/webhookReceiver";
import { startStack, type Stack } from "../support/stack";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOKEN = "1:record";

// Histories of the workflow as it is now; those of earlier versions stay committed beside them and
// must keep replaying: chatImage-<case>.json (before the flow wrote its own first record) and
// chatImage-records-itself-<case>.json (before the Telegram chat showed "sending photo…" and the
// content policy screened the prompt; both steps came together, so one set of histories covers them).
const VERSION = "upload-photo-status";
const save = (stack: Stack, name: string, generationId: string) =>
  saveHistory(stack, name.replace(/^chatImage-/, `chatImage-${VERSION}-`), `darkroom/chat_image/${generationId}`);

const telegram = await startTelegramSimulator({ token: TOKEN });
const receiver = await startWebhookReceiver({ secret: SECRET });
const stack = await startStack({
  instances: 2,
  stepMs: 20,
  steps: 4,
  env: {
    DIALOG_IMAGE_EVERY: "1",
    TELEGRAM_API_URL: telegram.url,
    TELEGRAM_BOT_TOKEN: TOKEN,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_ALLOW_PRIVATE: "true",
    DELIVERY_RETRY_INITIAL_MS: "100",
  },
});
const say = async (dialogId: string, text: string, delivery?: unknown) => {
  const res = await stack.request("POST", `/v1/dialogs/${dialogId}/messages`, { role: "user", text, persona: "LINA", delivery });
  if (!res.body?.generationId) throw new Error(`no picture triggered: ${JSON.stringify(res.body)}`);
  return res.body.generationId as string;
};
try {
  const both = { telegram: { chatId: "777" }, webhook: { url: receiver.url } };
  const ok = await say("rec-1", "send me a photo from the beach", both);
  await save(stack, "chatImage-completed", ok);

  await stack.request("DELETE", "/v1/dialogs/rec-1");
  const cached = await say("rec-1", "send me a photo from the beach", both);
  await save(stack, "chatImage-cached", cached);

  stack.sim.instances.forEach((i) => i.failNext(1, { message: "CUDA out of memory" }));
  const failed = await say("rec-2", "a picture of your cat", both);
  await save(stack, "chatImage-failed", failed);

  telegram.rateLimitNext(1, 1);
  receiver.failNext(1, 500);
  const retried = await say("rec-3", "your morning coffee", both);
  await save(stack, "chatImage-delivery-retried", retried);
} finally {
  await stack.stop();
  await telegram.stop();
  await receiver.stop();
  process.exit(0);
}

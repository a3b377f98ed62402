/**
 * Delivery of chat pictures to Telegram and to Standard-Webhooks-signed receivers: signatures,
 * retries after 429 / 500 / a dead receiver, a chat that does not exist, the generation timeout,
 * and the SSRF guard on webhook URLs.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout, setSystemTime } from "bun:test";
import { checkWebhookUrl, DeliveryTargetInvalid, isNonPublicAddress } from "../lib/deliveryTargets";
import { signWebhook, verifyWebhook } from "../lib/standardWebhooks";
import { startTelegramSimulator, type TelegramSimulator } from "../simulators/telegram";
import { startWebhookReceiver, type WebhookReceiver } from "../simulators/webhookReceiver";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("Standard Webhooks signatures", () => {
  test("match the specification's test vector", () => {
    const body = '{"test": 2432232314}';
    expect(signWebhook(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    const headers = { id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", signature: "v1,bm9ldmVu v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" };
    try {
      setSystemTime(new Date(1614265330 * 1000));
      expect(verifyWebhook(SECRET, headers, body)).toBe(true);
      expect(verifyWebhook(SECRET, headers, body.replace("2", "3"))).toBe(false);
      // An hour later the same delivery is a replay and is refused.
      setSystemTime(new Date((1614265330 + 3600) * 1000));
      expect(verifyWebhook(SECRET, headers, body)).toBe(false);
    } finally {
      setSystemTime();
    }
  });
});

describe("the webhook URL guard", () => {
  const resolveTo = (...addresses: string[]) => async () => addresses;

  test("refuses loopback, private, link-local and mapped addresses, also behind DNS names", async () => {
    for (const a of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1"]) {
      expect(isNonPublicAddress(a)).toBe(true);
    }
    expect(isNonPublicAddress("93.184.216.34")).toBe(false);
    const refused = (url: string, resolve = resolveTo("93.184.216.34")) =>
      checkWebhookUrl(url, { allowPrivate: false, resolve }).then(
        () => "accepted",
        (err: DeliveryTargetInvalid) => err.code,
      );
    expect(await refused("https://hooks.example.com/x")).toBe("accepted");
    expect(await refused("https://internal.example.com/x", resolveTo("93.184.216.34", "10.1.2.3"))).toBe("webhook_url_refused");
    expect(await refused("http://[::ffff:127.0.0.1]:8080/")).toBe("webhook_url_refused");
    expect(await refused("http://2130706433/")).toBe("webhook_url_refused"); // 127.0.0.1 as one number
    expect(await refused("https://user:pw@hooks.example.com/")).toBe("invalid_webhook_url");
    expect(await refused("file:///etc/passwd")).toBe("invalid_webhook_url");
    expect(await checkWebhookUrl("http://127.0.0.1:8080/x", { allowPrivate: true })).toBe("http://127.0.0.1:8080/x");
  });
});

describe("delivering chat pictures", () => {
  let stack: Stack;
  let telegram: TelegramSimulator;
  let receiver: WebhookReceiver;
  const token = "42:delivery-test";

  beforeAll(async () => {
    telegram = await startTelegramSimulator({ token });
    receiver = await startWebhookReceiver({ secret: SECRET });
    stack = await startStack({
      instances: 1,
      stepMs: 5,
      steps: 3,
      env: {
        DIALOG_IMAGE_EVERY: "1",
        TELEGRAM_API_URL: telegram.url,
        TELEGRAM_BOT_TOKEN: token,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_ALLOW_PRIVATE: "true",
        DELIVERY_RETRY_INITIAL_MS: "100",
        DELIVERY_RETRY_MAX_MS: "400",
        DELIVERY_MAX_ATTEMPTS: "30",
        CHAT_IMAGE_TIMEOUT_MS: "3000",
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await telegram?.stop();
    await receiver?.stop();
  });

  let dialogs = 0;
  /** One message in a fresh dialog (DIALOG_IMAGE_EVERY=1: every message makes a picture). */
  async function picture(delivery: Record<string, unknown>, persona = "STACY") {
    const res = await stack.request("POST", `/v1/dialogs/d${++dialogs}-${Date.now()}/messages`, { role: "user", text: "a morning run by the river", persona, delivery });
    expect(res.status).toBe(200);
    expect(res.body.imageTriggered).toBe(true);
    return res.body.generationId as string;
  }
  const deliveries = async (id: string) => (await stack.request("GET", `/v1/generations/${id}/deliveries`)).body.deliveries as Array<Record<string, any>>;
  const settled = (id: string) =>
    eventually(async () => {
      const all = await deliveries(id);
      return all.length > 0 && all.every((d) => d.status === "delivered" || d.status === "failed") ? all : undefined;
    }, `deliveries of ${id}`);
  const byChannel = (all: Array<Record<string, any>>, channel: string) => all.find((d) => d.channel === channel)!;

  test("to Telegram and to a signed webhook at once", async () => {
    const id = await picture({ telegram: { chatId: "1001" }, webhook: { url: receiver.url } });
    const all = await settled(id);
    expect(byChannel(all, "telegram")).toMatchObject({ status: "delivered", attempts: 1, target: "1001" });
    const hook = byChannel(all, "webhook");
    expect(hook).toMatchObject({ status: "delivered", attempts: 1, target: receiver.url, externalId: `msg_${hook.id}` });

    const got = receiver.received.find((r) => r.id === hook.externalId)!;
    expect(got.verified).toBe(true);
    const body = got.body as { type: string; data: { generationId: string; persona: string; images: Array<{ url: string }>; text: string } };
    expect(body.type).toBe("chat_image.completed");
    expect(body.data).toMatchObject({ generationId: id, persona: "STACY" });
    expect(body.data.text.length).toBeGreaterThan(3);
    const image = await fetch(body.data.images[0]!.url);
    expect(image.headers.get("content-type")).toBe("image/webp");
    expect(telegram.photos.filter((p) => p.chatId === "1001")).toHaveLength(1);
  });

  test("Telegram's 429 is retried after retry_after, and counted", async () => {
    telegram.rateLimitNext(2, 1);
    const id = await picture({ telegram: { chatId: "1002" } });
    const [d] = await settled(id);
    expect(d).toMatchObject({ status: "delivered", attempts: 3 });
    expect(telegram.calls.filter((c) => c.chatId === "1002").map((c) => c.status)).toEqual([429, 429, 200]);
  });

  test("a receiver that is down or failing only delays its own delivery", async () => {
    await receiver.down();
    const id = await picture({ webhook: { url: receiver.url }, telegram: { chatId: "1003" } });
    // The picture is made and Telegram gets it while the webhook keeps retrying.
    await eventually(async () => {
      const all = await deliveries(id);
      return byChannel(all, "telegram").status === "delivered" && byChannel(all, "webhook").attempts >= 2 ? true : undefined;
    }, "telegram delivered while the webhook retries");
    expect((await stack.request("GET", `/v1/generations/${id}`)).body.status).toBe("completed");
    const retrying = byChannel(await deliveries(id), "webhook");
    expect(retrying.status).toBe("retrying");
    expect(retrying.lastError).toContain("unreachable");

    receiver.failNext(1, 500);
    await receiver.up();
    const hook = byChannel(await settled(id), "webhook");
    expect(hook.status).toBe("delivered");
    const attempts = receiver.received.filter((r) => r.id === hook.externalId);
    expect(attempts.map((r) => r.status)).toEqual([500, 204]);
    expect(attempts.every((r) => r.verified)).toBe(true);
  });

  test("a chat Telegram does not know fails that delivery at once, not the other", async () => {
    telegram.forgetChat("1004");
    const id = await picture({ telegram: { chatId: "1004" }, webhook: { url: receiver.url } });
    const all = await settled(id);
    expect(byChannel(all, "telegram")).toMatchObject({ status: "failed", attempts: 1 });
    expect(byChannel(all, "telegram").lastError).toContain("chat not found");
    expect(byChannel(all, "webhook").status).toBe("delivered");
  });

  test("cancelling the flow while a dead receiver is retried ends it at once", async () => {
    await receiver.down();
    try {
      const id = await picture({ webhook: { url: receiver.url } });
      await eventually(async () => ((await deliveries(id))[0]?.attempts >= 1 ? true : undefined), "a first attempt");
      const handle = stack.running.temporal.workflow.getHandle(`darkroom/chat_image/${id}`);
      await handle.cancel();
      await eventually(async () => ((await handle.describe()).status.name === "CANCELLED" ? true : undefined), "the flow to end cancelled");
      const [d] = await deliveries(id);
      expect(d).toMatchObject({ status: "failed", lastError: "cancelled" });
      expect((await stack.request("GET", `/v1/generations/${id}`)).body.status).toBe("completed");
    } finally {
      await receiver.up();
    }
  });

  test("a picture not ready in time ends in the persona's failure message, delivered", async () => {
    const gpu = stack.sim.instances[0]!;
    gpu.setStepMs(5000);
    try {
      const id = await picture({ telegram: { chatId: "1005" }, webhook: { url: receiver.url } }, "LINA");
      const all = await settled(id);
      expect(all.map((d) => d.status)).toEqual(["delivered", "delivered"]);
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      expect(g.status).toBe("failed");
      expect(g.errorMessage).toContain("not ready within 3 s");
      expect(telegram.messages.find((m) => m.chatId === "1005")?.text).toBe("Ой, фотка не получилась 😔 Попробую скинуть попозже!");
      const hook = receiver.received.find((r) => r.id === byChannel(all, "webhook").externalId)!;
      expect(hook.body).toMatchObject({ type: "chat_image.failed", data: { generationId: id, images: [] } });
      const run = await eventually(async () => (gpu.runs.at(-1)?.outcome ? gpu.runs.at(-1) : undefined), "the GPU run to end");
      expect(run.outcome).toBe("interrupted");
    } finally {
      gpu.setStepMs(5);
    }
  });
});

/**
 * What an operator's log pipeline gets from production roles: every line of the API, the main
 * worker and a GPU worker — run as separate processes at LOG_LEVEL=debug through a companion photo
 * (images on S3, served by presigned redirects and signed URLs) and a chat picture delivered to
 * Telegram and a signed webhook — is one JSON object carrying the ids it is about, and none holds a
 * configured secret.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger, readableDestination, registerSecrets, scrubSecrets } from "../lib/log";
import { freePort } from "../lib/temporal/devServer";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";
import { startTelegramSimulator, type TelegramSimulator } from "../simulators/telegram";
import { startWebhookReceiver, type WebhookReceiver } from "../simulators/webhookReceiver";
import { freshPostgresUrl } from "./support/postgres";
import { testSeaweedFs } from "./support/seaweedfs";
import { eventually } from "./support/stack";
import { killAllRoles, spawnRole, type RoleProcess } from "./support/roles";
import { testTemporal } from "./support/temporal";

setDefaultTimeout(240_000);

describe("the scrubber", () => {
  test("removes every shape of secret darkroom handles, and every registered value", () => {
    registerSecrets(["plain-configured-secret-value"]);
    const cases: Array<[string, string]> = [
      ["key dk_0123456789abcdefXYZ in text", "key dk_[redacted] in text"],
      ["authorization: Bearer abc.def-123", "authorization: Bearer [redacted]"],
      ["https://api.telegram.org/bot123456:AAE-xyz_789/sendPhoto", "https://api.telegram.org/bot[redacted]/sendPhoto"],
      ["secret whsec_c2NydWJiZXItdGVzdC1vbmx5LXZhbHVl=", "secret whsec_[redacted]"],
      ["http://h/v1/images/x?exp=1&sig=abcDEF_-", "http://h/v1/images/x?exp=1&sig=[redacted]"],
      ["ws://h/v1/ws?token=dk_abc", "ws://h/v1/ws?token=[redacted]"],
      [
        "http://s3/b/k?X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok",
        "http://s3/b/k?X-Amz-Credential=[redacted]&X-Amz-Signature=[redacted]&X-Amz-Security-Token=[redacted]",
      ],
      ["postgres://darkroom:hunter22@db:5432/x", "postgres://darkroom:[redacted]@db:5432/x"],
      ["it was plain-configured-secret-value!", "it was [redacted]!"],
    ];
    for (const [input, output] of cases) expect(scrubSecrets(input)).toBe(output);
    // Inside a finished JSON line a quoted URL ends in \": the line stays JSON.
    const line = JSON.stringify({ payload: JSON.stringify({ url: "http://h/i?sig=abc", auth: "postgres://u:pw@h/db" }) });
    expect(JSON.parse(JSON.parse(scrubSecrets(line)).payload)).toEqual({ url: "http://h/i?sig=[redacted]", auth: "postgres://u:[redacted]@h/db" });
  });

  test("applies to messages, fields, nested objects and errors, and keeps each line valid JSON", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", format: "json", base: { role: "test" }, destination: { write: (l: string) => void lines.push(l) } });
    logger.info({ headers: { authorization: "Bearer dk_abcdefgh12345678" }, url: "https://api.telegram.org/bot1234:ABC/getMe" }, "calling with dk_abcdefgh12345678");
    logger.error({ err: new Error("failed: https://x/v1/images/i?sig=SIGNATURE123") }, "boom");
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      const entry = JSON.parse(line);
      expect(entry.role).toBe("test");
      expect(line).not.toMatch(/abcdefgh12345678|ABC\/getMe|SIGNATURE123/);
    }
    expect(JSON.parse(lines[0]!).headers.authorization).toBe("[redacted]");
  });

  test("dev's readable lines: time, level, message and fields on one line", () => {
    const out: string[] = [];
    const logger = createLogger({ level: "info", format: "readable", destination: { write: (l: string) => void out.push(l) } });
    logger.warn({ generationId: "g1", instance: "gpu0" }, "slow instance");
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d WARN  slow instance {2}generationId=g1 instance=gpu0\n$/);
    let raw = "";
    readableDestination((l) => (raw += l)).write("not json\n");
    expect(raw).toBe("not json\n");
  });
});

describe("production roles at LOG_LEVEL=debug", () => {
  const children: RoleProcess[] = [];
  let sim: ComfySimulator;
  let telegram: TelegramSimulator;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let api: string;
  const tag = Math.random().toString(36).slice(2, 8);
  const gpu = `l${tag}gpu0`;
  const apiKey = `dk_${randomBytes(16).toString("hex")}`;
  const botToken = `${100000 + Math.floor(Math.random() * 800000)}:${randomBytes(18).toString("base64url")}`;
  const webhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
  const urlSecret = randomBytes(24).toString("base64url");
  let env: Record<string, string>;
  let secrets: string[];

  beforeAll(async () => {
    const temporal = await testTemporal();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-logs-"));
    sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 3, outputDir: path.join(dataDir, "simulator") });
    telegram = await startTelegramSimulator({ token: botToken });
    receiver = await startWebhookReceiver({ secret: webhookSecret });
    const s3 = await testSeaweedFs();
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    env = {
      PORT: String(port),
      DARKROOM_PUBLIC_URL: api,
      DARKROOM_DATA_DIR: dataDir,
      DARKROOM_API_KEYS: `acme:${apiKey}`,
      DARKROOM_URL_SECRET: urlSecret,
      DATABASE_URL: await freshPostgresUrl(),
      TEMPORAL_ADDRESS: temporal.address,
      DARKROOM_TASK_QUEUE: `darkroom-logs-${tag}`,
      COMFYUI_INSTANCES: `${gpu}=${sim.instances[0]!.url}`,
      IMAGE_MAX_EDGE: "256",
      DIALOG_IMAGE_EVERY: "1",
      TELEGRAM_API_URL: telegram.url,
      TELEGRAM_BOT_TOKEN: botToken,
      WEBHOOK_SECRET: webhookSecret,
      WEBHOOK_ALLOW_PRIVATE: "true",
      ...s3.env(`logs-${tag}`, "images"),
      S3_PRESIGN: "true",
      LOG_LEVEL: "debug",
    };
    secrets = [apiKey, botToken, webhookSecret, webhookSecret.slice("whsec_".length), urlSecret, env.S3_SECRET_ACCESS_KEY!];
    children.push(await spawnRole(["api"], env));
    children.push(...(await Promise.all([spawnRole(["worker"], env), spawnRole(["worker", "--gpu", gpu], env)])));
  });

  afterAll(async () => {
    await killAllRoles();
    await sim?.stop();
    await telegram?.stop();
    await receiver?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const request = async (method: string, route: string, body?: unknown, key = apiKey) => {
    const res = await fetch(api + route, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };

  test("a photo and a delivered chat picture: every line is JSON with its ids, and no secret in any", async () => {
    // A companion photo, its image fetched through the signed URL (a presigned redirect to S3).
    const reply = await request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: "Sure! [IMAGE: a selfie at the beach]", persona: { name: "Sofia", personality: "cheerful" } });
    expect(reply.status).toBe(200);
    const photoId = reply.body.generations[0].id as string;
    const photo = await eventually(async () => {
      const g = (await request("GET", `/v1/generations/${photoId}`)).body;
      return ["completed", "failed"].includes(g?.status) ? g : undefined;
    }, "the photo");
    expect(photo.status, JSON.stringify(photo.error ?? photo)).toBe("completed");
    const signedUrl = photo.images[0].url as string;
    expect(signedUrl).toContain("sig=");
    const redirect = await fetch(signedUrl, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toContain("X-Amz-Signature=");
    expect((await fetch(redirect.headers.get("location")!)).status).toBe(200);

    // A chat picture delivered to Telegram and a signed webhook.
    const dialog = await request("POST", `/v1/dialogs/d-${tag}/messages`, {
      role: "user",
      text: "a morning run by the river",
      persona: "STACY",
      delivery: { telegram: { chatId: "4242" }, webhook: { url: receiver.url } },
    });
    expect(dialog.body.imageTriggered).toBe(true);
    const chatId = dialog.body.generationId as string;
    await eventually(async () => {
      const all = (await request("GET", `/v1/generations/${chatId}/deliveries`)).body?.deliveries as Array<{ status: string }> | undefined;
      return all?.length === 2 && all.every((d) => d.status === "delivered") ? all : undefined;
    }, "both deliveries");
    expect(telegram.photos.filter((p) => p.chatId === "4242")).toHaveLength(1);

    // Someone else's key, in the header and in the WebSocket's query string.
    const stranger = `dk_${randomBytes(16).toString("hex")}`;
    secrets.push(stranger);
    expect((await request("GET", "/v1/instances", undefined, stranger)).status).toBe(401);
    await fetch(`${api}/v1/ws?token=${stranger}`).catch(() => undefined);

    // Let the last lines out, then stop every role as an orchestrator would.
    await eventually(async () => (children.find((c) => c.role === "worker")!.output().includes("webhook: the receiver answered") ? true : undefined), "the worker's last lines");
    for (const c of children) c.child.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((resolve) => (c.child.exitCode !== null ? resolve(null) : c.child.once("exit", resolve)))));

    const entries: Record<string, Array<Record<string, any>>> = {};
    for (const c of children) {
      const lines = c.output().split("\n").filter((l) => l.trim());
      entries[c.role] = lines.map((line) => {
        let entry: Record<string, any>;
        try {
          entry = JSON.parse(line);
        } catch {
          throw new Error(`darkroom ${c.role} wrote a line that is not JSON: ${line}\n${c.output().slice(-3000)}`);
        }
        expect(typeof entry.level).toBe("string");
        expect(typeof entry.time).toBe("string");
        expect(typeof entry.msg).toBe("string");
        for (const secret of secrets) if (line.includes(secret)) throw new Error(`darkroom ${c.role} logged a secret: ${line}`);
        expect(line).not.toMatch(/sig=(?!\[redacted\])|X-Amz-Signature=(?!\[redacted\])|X-Amz-Credential=(?!\[redacted\])/);
        return entry;
      });
    }
    const api_ = entries.api!;
    const worker = entries.worker!;
    const gpuWorker = entries[`worker --gpu ${gpu}`]!;
    expect(new Set(api_.map((e) => e.role))).toEqual(new Set(["api"]));
    expect(new Set(worker.map((e) => e.role))).toEqual(new Set(["worker"]));
    expect(new Set(gpuWorker.map((e) => e.role))).toEqual(new Set(["gpu-worker"]));

    // The API: the request and the start, with tenant, generation and workflow ids.
    expect(api_.find((e) => e.msg === "request" && e.route === "/v1/agents/:agentId/replies")).toMatchObject({ method: "POST", status: 200, tenantId: "acme" });
    expect(api_.find((e) => e.msg === "generation started" && e.generationId === photoId)).toMatchObject({
      tenantId: "acme",
      workflowId: `darkroom/companion_photo/${photoId}`,
    });
    expect(api_.find((e) => e.msg === "request" && e.generationId === photoId)).toMatchObject({ tenantId: "acme" });
    // The presigned redirect was logged, its signature scrubbed.
    expect(api_.find((e) => e.msg === "image: redirecting to the bucket")?.location).toContain("X-Amz-Signature=[redacted]");

    // The main worker: the SDK's activity lines and darkroom's own carry workflow and generation ids.
    for (const id of [photoId, chatId]) {
      const about = worker.filter((e) => e.generationId === id);
      expect(about.length).toBeGreaterThan(0);
      for (const e of about) expect(e.workflowId).toMatch(new RegExp(`^darkroom/[a-z_]+/${id}$`));
    }
    // The photo itself (the "sending photo…" status calls the Bot API too, with the same token).
    const botCall = worker.find((e) => e.msg === "telegram: calling the Bot API" && String(e.url).endsWith("/sendPhoto"));
    expect(botCall).toMatchObject({ generationId: chatId, channel: "telegram" });
    expect(botCall!.url).toBe(`${telegram.url}/bot[redacted]/sendPhoto`);
    expect(worker.find((e) => e.msg === "webhook: sending")?.payload).toContain("sig=[redacted]");

    // The GPU worker: its activities' lines name the instance and the generation.
    const gpuLines = gpuWorker.filter((e) => e.generationId === photoId);
    expect(gpuLines.length).toBeGreaterThan(0);
    for (const e of gpuLines) expect(e).toMatchObject({ instance: gpu, workflowId: `darkroom/companion_photo/${photoId}` });
  });
});

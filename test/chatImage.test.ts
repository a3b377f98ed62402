/**
 * Chat-triggered persona images on real parts: the cadence, the persona's template on
 * the ComfyUI simulator, delivery to the Telegram simulator, the result cache and bad input.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { createChatImagePromptActivities } from "../activities/chatImagePrompt";
import { createInstanceAffinityActivities } from "../activities/instanceAffinity";
import type { InstancePool } from "../activities/instancePool";
import { drawInterval, imageSeed, triggerSchedule } from "../domain/dialogCadence";
import { loadPersonas } from "../activities/personas";
import { startTelegramSimulator, type TelegramSimulator } from "../simulators/telegram";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const EVERY = { min: 3, max: 5 };

describe("the cadence", () => {
  test("over a long dialog every interval is 3–5, all three occur, and the schedule is reproducible", () => {
    const schedule = triggerSchedule("acme", "dialog-1", 600, EVERY);
    const intervals = schedule.map((n, i) => n - (schedule[i - 1] ?? 0));
    expect(intervals.every((d) => d >= 3 && d <= 5)).toBe(true);
    expect(new Set(intervals)).toEqual(new Set([3, 4, 5]));
    expect(triggerSchedule("acme", "dialog-1", 600, EVERY)).toEqual(schedule);
  });

  test("different dialogs (and tenants) get different schedules and seeds", () => {
    const a = triggerSchedule("acme", "dialog-1", 200, EVERY);
    expect(triggerSchedule("acme", "dialog-2", 200, EVERY)).not.toEqual(a);
    expect(triggerSchedule("globex", "dialog-1", 200, EVERY)).not.toEqual(a);
    expect(imageSeed("acme", "dialog-1", 4)).toBe(imageSeed("acme", "dialog-1", 4));
    expect(imageSeed("acme", "dialog-1", 4)).not.toBe(imageSeed("acme", "dialog-2", 4));
    expect(Number.isSafeInteger(imageSeed("acme", "dialog-1", 4))).toBe(true);
  });

  test("a fixed interval (DIALOG_IMAGE_EVERY=4) is always 4", () => {
    expect([0, 1, 2, 3].map((n) => drawInterval("acme", "d", n, { min: 4, max: 4 }))).toEqual([4, 4, 4, 4]);
  });
});

describe("messages in, persona pictures out", () => {
  let stack: Stack;
  let telegram: TelegramSimulator;
  const token = "123456:test-token";

  beforeAll(async () => {
    telegram = await startTelegramSimulator({ token });
    // One stamp for both keys: the test derives the second tenant's key from the first's.
    const stamp = Date.now();
    stack = await startStack({
      instances: 2,
      stepMs: 5,
      steps: 3,
      tenants: { acme: `key-acme-${stamp}-chat`, globex: `key-globex-${stamp}-chat` },
      env: { TELEGRAM_API_URL: telegram.url, TELEGRAM_BOT_TOKEN: token, WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await telegram?.stop();
  });

  const post = (dialogId: string, body: Record<string, unknown>, key?: string) =>
    stack.request("POST", `/v1/dialogs/${dialogId}/messages`, { role: "user", persona: "LINA", ...body }, key);

  /** Posts the conversation; returns the generation ids it triggered, by message number. */
  async function converse(dialogId: string, lines: string[], extra: Record<string, unknown> = {}) {
    const triggered = new Map<number, string>();
    for (const [i, text] of lines.entries()) {
      const res = await post(dialogId, { role: i % 2 === 0 ? "user" : "assistant", text, ...(i === 0 ? extra : {}) });
      expect(res.status).toBe(200);
      expect(res.body.messageCount).toBe(i + 1);
      if (res.body.imageTriggered) triggered.set(res.body.messageCount, res.body.generationId);
      else expect(res.body.generationId).toBeUndefined();
    }
    return triggered;
  }

  const finished = (id: string) =>
    eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
    }, `generation ${id}`);

  /** The graph the simulator actually ran for a generation (matched by its fixed seed). */
  async function ranGraph(instance: string, seed: number) {
    const sim = stack.sim.instances[stack.instanceNames.indexOf(instance)]!;
    const history = (await (await fetch(`${sim.url}/history`)).json()) as Record<string, { prompt: [number, string, Record<string, { class_type: string; inputs: Record<string, unknown> }>] }>;
    const graphs = Object.values(history).map((h) => h.prompt[2]);
    return graphs.find((g) => Object.values(g).some((n) => n.class_type === "KSampler" && n.inputs.seed === seed));
  }

  const LINES = [
    "Привет! Как прошёл твой день?",
    "Отлично, гуляла у моря весь вечер 🌊",
    "Покажи, где ты сейчас",
    "Сижу в кафе у окна",
    "what are you drinking there?",
    "Капучино с корицей ☕",
    "send me a picture of the sunset over the sea",
    "Сейчас!",
    "and the lighthouse too",
    "Ха, конечно",
  ];

  test("the API triggers on the dialog's schedule, makes the picture with LINA's template and sends it to the chat", async () => {
    const dialogId = `tg-${Date.now()}`;
    const triggered = await converse(dialogId, LINES, { delivery: { telegram: { chatId: "987654321" } } });
    const expected = triggerSchedule(stack.tenant, dialogId, LINES.length, EVERY);
    expect([...triggered.keys()]).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(2);

    const view = await stack.request("GET", `/v1/dialogs/${dialogId}`);
    expect(view.body).toMatchObject({ messageCount: LINES.length, persona: "LINA", lastImageMessageNo: expected.at(-1) });
    expect(view.body.nextTriggerAt).toBeGreaterThan(LINES.length);
    expect(view.body.nextTriggerAt - expected.at(-1)!).toBeGreaterThanOrEqual(3);
    expect(Date.parse(view.body.lastImageGenerationAt)).toBeGreaterThan(0);

    const gens = await Promise.all([...triggered.values()].map(finished));
    for (const g of gens) expect(g.status).toBe("completed");

    // The first picture: LINA's checkpoint, her appearance, the last user message, the fixed seed.
    const [firstNo, firstId] = [...triggered.entries()][0]!;
    const row = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: firstId } });
    expect(row).toMatchObject({ kind: "chat_image", dialogId, messageNumber: firstNo, seed: BigInt(imageSeed(stack.tenant, dialogId, firstNo)) });
    const lastUser = LINES.slice(0, firstNo).filter((_, i) => i % 2 === 0).at(-1)!;
    expect(row.prompt).toContain("auburn hair");
    expect(row.prompt).toContain(lastUser);
    const graph = await ranGraph(row.instance!, Number(row.seed));
    expect(graph).toBeDefined();
    const nodes = Object.values(graph!);
    expect(nodes.find((n) => n.class_type === "CheckpointLoaderSimple")!.inputs.ckpt_name).toBe("realisticVision_v51.safetensors");
    expect(nodes.some((n) => n.class_type === "CLIPTextEncode" && n.inputs.text === row.prompt)).toBe(true);
    expect(nodes.find((n) => n.class_type === "EmptyLatentImage")!.inputs).toMatchObject({ width: 512, height: 768 });

    // Affinity: LINA's next pictures go to the instance that last loaded her checkpoint.
    const warm: string[] = [];
    for (const name of stack.instanceNames) {
      const last = await stack.db.prisma.generation.findFirst({ where: { instance: name, startedAt: { not: null } }, orderBy: { startedAt: "desc" } });
      if ((last?.persona as { checkpoint?: string } | null)?.checkpoint === "realisticVision_v51.safetensors") warm.push(name);
    }
    const next = await converse(`${dialogId}-affinity`, LINES.slice(0, 5));
    for (const id of next.values()) expect(warm).toContain((await finished(id)).instance);

    // Delivered: one JPEG per picture to the dialog's chat, captioned with the completion message.
    await eventually(async () => (telegram.photos.filter((p) => p.chatId === "987654321").length === gens.length ? true : undefined), "photos in the chat");
    const deliveries = await stack.request("GET", `/v1/generations/${firstId}/deliveries`);
    expect(deliveries.body.deliveries).toEqual([
      expect.objectContaining({ channel: "telegram", target: "987654321", status: "delivered", attempts: 1 }),
    ]);
    // The pictures are delivered concurrently: find this generation's photo by its Telegram message id.
    const photo = telegram.photos.find((p) => String(p.messageId) === deliveries.body.deliveries[0].externalId)!;
    expect(photo.chatId).toBe("987654321");
    expect(photo.contentType).toBe("image/jpeg");
    expect([...photo.bytes.slice(0, 2)]).toEqual([0xff, 0xd8]);
    expect(photo.caption?.length).toBeGreaterThan(3);

    // Operators find it in Temporal by tenant, kind and dialog.
    const described = await stack.running.temporal.workflow.getHandle(`darkroom/chat_image/${firstId}`).describe();
    expect(described.searchAttributes).toMatchObject({ DarkroomTenant: [stack.tenant], DarkroomKind: ["chat_image"], DarkroomDialog: [dialogId], DarkroomStatus: ["completed"] });

    // Another tenant sees none of it.
    const globex = `key-globex-${stack.key.split("-")[2]}-chat`;
    expect((await stack.request("GET", `/v1/dialogs/${dialogId}`, undefined, globex)).status).toBe(404);
    expect((await stack.request("GET", `/v1/generations/${firstId}/deliveries`, undefined, globex)).status).toBe(404);
  });

  test("the same conversation again reuses the stored pictures: no GPU work", async () => {
    const dialogId = `cache-${Date.now()}`;
    const first = await converse(dialogId, LINES.slice(0, 6));
    const firstGens = await Promise.all([...first.values()].map(finished));
    const runsBefore = stack.sim.instances.map((i) => i.submitted.length);

    // The chat starts over (a bot's /start) and says the same things: same prompts, same seeds.
    expect((await stack.request("DELETE", `/v1/dialogs/${dialogId}`)).status).toBe(204);
    const again = await converse(dialogId, LINES.slice(0, 6));
    expect([...again.keys()]).toEqual([...first.keys()]);
    const againGens = await Promise.all([...again.values()].map(finished));
    expect(stack.sim.instances.map((i) => i.submitted.length)).toEqual(runsBefore);
    for (const [i, g] of againGens.entries()) {
      expect(g.status).toBe("completed");
      const [a, b] = await Promise.all(
        [firstGens[i].id, g.id].map((id) => stack.db.prisma.generation.findUniqueOrThrow({ where: { id }, include: { images: true } })),
      );
      expect(b!.cacheKey).toBe(a!.cacheKey!);
      expect(b!.provider).toBe("cache");
      expect(b!.images[0]!.id).not.toBe(a!.images[0]!.id);
      expect(b!.images[0]!.storageKey).toBe(a!.images[0]!.storageKey);
    }
  });

  test("concurrent posts to one dialog are counted once each, and trigger on schedule", async () => {
    const dialogId = `burst-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => post(dialogId, { text: `message ${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(results.map((r) => r.body.messageCount).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const triggeredAt = results.filter((r) => r.body.imageTriggered).map((r) => r.body.messageCount).sort((a, b) => a - b);
    expect(triggeredAt).toEqual(triggerSchedule(stack.tenant, dialogId, 12, EVERY));
    await Promise.all(results.filter((r) => r.body.generationId).map((r) => finished(r.body.generationId)));
  });

  test("placement: the instance that finishes the picture first, its queue and checkpoint swaps counted", async () => {
    const tag = Date.now().toString(36);
    const [a, b] = [`aff-a-${tag}`, `aff-b-${tag}`];
    const ran = (instance: string, checkpoint: string, startedAt: Date) =>
      stack.db.prisma.generation.create({
        data: {
          id: crypto.randomUUID(),
          tenantId: stack.tenant,
          kind: "chat_image",
          description: "affinity fixture",
          persona: { id: "X", checkpoint },
          workflowId: `fixture/${crypto.randomUUID()}`,
          instance,
          startedAt,
          completedAt: new Date(startedAt.getTime() + 1000),
          status: "completed",
        },
      });
    await ran(a, "dreamshaper_8.safetensors", new Date(Date.now() - 60_000));
    await ran(a, "realisticVision_v51.safetensors", new Date(Date.now() - 30_000));
    await ran(b, "juggernautXL_v9.safetensors", new Date(Date.now() - 10_000));
    // a has three prompts in its queue, b none.
    const pool = {
      snapshot: async () => [a, b].map((name) => ({ name, url: `http://${name}`, healthy: true, queueRunning: name === a ? 1 : 0, queuePending: name === a ? 2 : 0, checkedAt: 0 })),
      pickInstance: async ({ exclude }: { exclude: string[] }) => (exclude.includes(b) ? null : { name: b, url: `http://${b}` }),
      queueWaitOf: async () => ({}),
    } as unknown as InstancePool;
    const placement = (swapMs: number) => createInstanceAffinityActivities({ prisma: stack.db.prisma, pool, costs: { swapMs, jobMs: 5000 } });
    const pick = (swapMs: number, checkpoint: string, exclude: string[] = []) => placement(swapMs).pickInstanceForCheckpoint({ checkpoint, exclude });
    // Slow disks (a minute per swap): waiting behind three jobs on a, whose checkpoint stays
    // loaded, beats loading it on the idle b.
    expect(await pick(60_000, "realisticVision_v51.safetensors")).toMatchObject({ name: a, affinity: true });
    // A fast swap (2.5 s) is cheaper than three jobs of queue: the idle b loads it.
    expect(await pick(2_500, "realisticVision_v51.safetensors")).toMatchObject({ name: b, affinity: false });
    // b already has juggernaut and no queue: b whatever the swap costs.
    expect(await pick(60_000, "juggernautXL_v9.safetensors")).toMatchObject({ name: b, affinity: true });
    // a checkpoint neither has: the one without a queue.
    expect(await pick(60_000, "dreamshaper_8.safetensors")).toMatchObject({ name: b, affinity: false });
    expect(await pick(60_000, "realisticVision_v51.safetensors", [a])).toMatchObject({ name: b, affinity: false });
  });

  test("with an LLM the prompt is written from the recent conversation; without one it is the last user message", async () => {
    const dialogId = `llm-${Date.now()}`;
    const triggered = await converse(dialogId, LINES.slice(0, 5));
    const [number, generationId] = [...triggered.entries()][0]!;
    await finished(generationId);
    const personas = loadPersonas(stack.config.chatImages.personasDir);
    let asked = "";
    const withLlm = createChatImagePromptActivities({
      prisma: stack.db.prisma,
      personas,
      budgetMs: 100,
      askLlm: async (_system, user) => {
        asked = user;
        return "  a cup of cinnamon cappuccino on a café table by the window  ";
      },
    });
    const prompt = await withLlm.buildChatImagePrompt({ generationId });
    expect(prompt).toBe(
      "young woman with long auburn hair, green eyes, light freckles, casual summer dress, a cup of cinnamon cappuccino on a café table by the window, smartphone selfie, soft daylight, vivid but natural colours",
    );
    for (const line of LINES.slice(0, number)) expect(asked).toContain(line);
    expect(asked).not.toContain(LINES[number]!);
    const silent = createChatImagePromptActivities({ prisma: stack.db.prisma, personas, budgetMs: 100, askLlm: async () => undefined });
    expect(await silent.buildChatImagePrompt({ generationId })).toContain(LINES.slice(0, number).filter((_, i) => i % 2 === 0).at(-1)!);
  });

  test("GET /v1/personas lists the nine personas with their templates", async () => {
    const res = await stack.request("GET", "/v1/personas");
    expect(res.body.personas.map((p: { id: string }) => p.id)).toEqual(["ASH", "JULIE", "LINA", "MARRIANA", "MAY", "NOVA", "STACY", "TAYA", "UNA"]);
    const lina = res.body.personas.find((p: { id: string }) => p.id === "LINA");
    expect(lina.workflow["6"].inputs.text).toBe("{{prompt}}");
    expect(lina.checkpoint).toBe("realisticVision_v51.safetensors");
  });

  test("bad input is refused with a clear 4xx and records nothing", async () => {
    const dialogId = `bad-${Date.now()}`;
    const unknown = await post(dialogId, { text: "hi", persona: "SOFIA" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("unknown_persona");
    expect(unknown.body.error.message).toContain("ASH, JULIE, LINA, MARRIANA, MAY, NOVA, STACY, TAYA, UNA");

    for (const chatId of ["not a chat", "@ab", "12.5", ""]) {
      const bad = await post(dialogId, { text: "hi", delivery: { telegram: { chatId } } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe("invalid_chat_id");
    }
    expect((await post(dialogId, { text: "hi", delivery: { telegram: { chatId: "@darkroom_news" } } })).status).toBe(200);
    expect((await post(dialogId, { text: "hi", delivery: { telegram: { chatId: -1001234567890 } } })).status).toBe(200);

    for (const url of ["http://127.0.0.1:9/hook", "http://[::1]/hook", "http://169.254.169.254/latest", "http://localhost/hook", "http://10.0.0.8/x"]) {
      const refused = await post(`${dialogId}-w`, { text: "hi", delivery: { webhook: { url } } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe("webhook_url_refused");
    }
    const notUrl = await post(`${dialogId}-w`, { text: "hi", delivery: { webhook: { url: "ftp://example.com/x" } } });
    expect(notUrl.body.error.code).toBe("invalid_webhook_url");
    expect((await post(`${dialogId}-w`, { text: "hi", role: "narrator" })).status).toBe(400);
    expect(await stack.db.prisma.dialog.count({ where: { dialogId: `${dialogId}-w` } })).toBe(0);
    expect((await stack.request("GET", `/v1/dialogs/${dialogId}`)).body.messageCount).toBe(2);
  });
});

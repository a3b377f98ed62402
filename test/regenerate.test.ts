/**
 * "Take another one" on real parts: a finished companion photo or chat picture is made again as a
 * new generation — same prompt, persona and template, a new seed (as the ComfyUI simulator received
 * it), linked back to the original — with an in-character waiting message in the chat's language;
 * over REST and over the WebSocket, never for another tenant, never while the original still runs.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { templateVariants } from "../activities/llm/templates";
import { startLlmSimulator, type LlmSimulator } from "../simulators/llm";
import { eventually, startStack, type Stack } from "./support/stack";

setDefaultTimeout(180_000);

const SOFIA = { name: "Sofia", personality: "Alegre y divertida", language: "es" };
type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

describe("regenerate: take another one", () => {
  let stack: Stack;
  const OTHER_KEY = `key-other-${Math.random().toString(36).slice(2)}-0123456789`;
  beforeAll(async () => {
    stack = await startStack({
      stepMs: 80,
      steps: 6,
      tenants: { acme: `key-acme-${Math.random().toString(36).slice(2)}-0123456789`, other: OTHER_KEY },
      env: { DIALOG_IMAGE_EVERY: "1" },
    });
  });
  afterAll(() => stack?.stop());

  const finished = (id: string) =>
    eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
    }, `generation ${id} to finish`);

  /** The graph the instance really ran for a generation: its prompt, found by the recorded prompt_id. */
  async function ranGraph(generationId: string): Promise<Graph> {
    const row = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: generationId } });
    const sim = stack.sim.instances[stack.instanceNames.indexOf(row.instance!)]!;
    const history = (await (await fetch(`${sim.url}/history/${row.requestId}`)).json()) as Record<string, { prompt: [number, string, Graph] }>;
    return history[row.requestId!]!.prompt[2];
  }
  const samplerSeed = (g: Graph) => Object.values(g).find((n) => n.class_type === "KSampler")!.inputs.seed as number;
  const texts = (g: Graph) => Object.values(g).filter((n) => n.class_type === "CLIPTextEncode").map((n) => n.inputs.text);
  const checkpoint = (g: Graph) => Object.values(g).find((n) => n.class_type === "CheckpointLoaderSimple")?.inputs.ckpt_name;

  async function photo(): Promise<string> {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u-again", text: "¡Dale! [IMAGE: selfie mía en la playa al atardecer]", persona: SOFIA });
    expect(reply.status).toBe(200);
    return reply.body.generations[0].id;
  }

  test("a companion photo: 409 while it runs, then a new take with a new seed, the same prompt and persona, linked back", async () => {
    const original = await photo();
    const early = await stack.request("POST", `/v1/generations/${original}/regenerate`);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("still_running");
    expect(early.body.error.message).toContain(original);

    expect((await finished(original)).status).toBe("completed");
    const again = await stack.request("POST", `/v1/generations/${original}/regenerate`);
    expect(again.status).toBe(201);
    const fresh = again.body.generation;
    expect(fresh.id).not.toBe(original);
    expect(fresh).toMatchObject({ kind: "companion_photo", status: "pending", regeneratedFrom: original, agentId: "sofia", userId: "u-again" });
    expect(fresh.workflowId).toBe(`darkroom/companion_photo/${fresh.id}`);
    // In character, in the chat's language, and it is the new take's waiting message.
    const [waiting] = again.body.messages;
    expect(waiting.kind).toBe("waiting");
    expect(templateVariants("regenerating", "es", "cheerful")).toContain(waiting.content);
    expect(fresh.waitingMessageId).toBe(waiting.id);

    const done = await finished(fresh.id);
    expect(done.status).toBe("completed");
    expect(done.images).toHaveLength(1);
    expect((await stack.request("GET", `/v1/generations/${fresh.id}`)).body.regeneratedFrom).toBe(original);

    // What the GPU received: the same prompt and template, another seed.
    const [first, second] = [await ranGraph(original), await ranGraph(fresh.id)];
    expect(samplerSeed(second)).not.toBe(samplerSeed(first));
    expect(texts(second)).toEqual(texts(first));
    expect(checkpoint(second)).toBe(checkpoint(first));
    const originalView = (await stack.request("GET", `/v1/generations/${original}`)).body;
    expect(done.images[0].seed).toBe(samplerSeed(second));
    expect(originalView.images[0].seed).toBe(samplerSeed(first));
    const rows = await stack.db.prisma.generation.findMany({ where: { id: { in: [original, fresh.id] } } });
    const [a, b] = [rows.find((r) => r.id === original)!, rows.find((r) => r.id === fresh.id)!];
    expect(b.persona).toEqual(a.persona);
    expect(b.template).toBe(a.template);
    expect(b.description).toBe(a.description);
    expect(b.prompt).toBe(a.prompt);
    expect(a.prompt).toBeTruthy();
    expect(b.language).toBe("es");
    expect(originalView.regeneratedFrom).toBeUndefined();

    // The chat sees the new waiting message on the user's event stream as well.
    const events = await stack.db.prisma.event.findMany({ where: { generationId: fresh.id, type: "message:new" } });
    expect(events.map((e) => (e.payload as { message: { content: string } }).message.content)).toContain(waiting.content);
  });

  test("another tenant's generation is not found, and kinds other than a chat picture are refused with the reason", async () => {
    const original = await photo();
    const foreign = await stack.request("POST", `/v1/generations/${original}/regenerate`, undefined, OTHER_KEY);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("not_found");
    const unknown = await stack.request("POST", `/v1/generations/no-such-generation/regenerate`);
    expect(unknown.status).toBe(404);

    const task = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "a fox in the snow", count: 1 } });
    expect(task.status).toBe(200);
    const refused = await stack.request("POST", `/v1/generations/${task.body.task_id}/regenerate`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("not_regenerable");
    expect(refused.body.error.message).toContain("variations");
    // Nothing was started for either refusal.
    expect(await stack.db.prisma.generation.count({ where: { regeneratedFrom: { in: [original, task.body.task_id] } } })).toBe(0);
    await finished(original);
    await finished(task.body.task_id);
  });

  test("a chat picture: the same prompt and persona template, a new seed, delivered like the first", async () => {
    const dialogId = `again-${Date.now()}`;
    const posted = await stack.request("POST", `/v1/dialogs/${dialogId}/messages`, { role: "user", persona: "LINA", text: "Пришли фото заката над морем" });
    expect(posted.status).toBe(200);
    expect(posted.body.imageTriggered).toBe(true);
    const original = posted.body.generationId as string;
    expect((await finished(original)).status).toBe("completed");

    const again = await stack.request("POST", `/v1/generations/${original}/regenerate`);
    expect(again.status).toBe(201);
    const fresh = again.body.generation;
    expect(fresh).toMatchObject({ kind: "chat_image", regeneratedFrom: original });
    const lina = (await stack.request("GET", "/v1/personas")).body.personas.find((p: { id: string }) => p.id === "LINA");
    expect(again.body.messages[0].kind).toBe("waiting");
    expect(templateVariants("regenerating", lina.language, "neutral").concat(templateVariants("regenerating", lina.language, "cheerful"), templateVariants("regenerating", lina.language, "shy"), templateVariants("regenerating", lina.language, "serious"))).toContain(again.body.messages[0].content);
    expect((await finished(fresh.id)).status).toBe("completed");

    const rows = await stack.db.prisma.generation.findMany({ where: { id: { in: [original, fresh.id] } } });
    const [a, b] = [rows.find((r) => r.id === original)!, rows.find((r) => r.id === fresh.id)!];
    expect(b).toMatchObject({ dialogId, messageNumber: a.messageNumber, prompt: a.prompt, template: a.template, regeneratedFrom: original });
    expect(b.seed).not.toBe(a.seed);
    const [first, second] = [await ranGraph(original), await ranGraph(fresh.id)];
    expect(samplerSeed(first)).toBe(Number(a.seed));
    expect(samplerSeed(second)).toBe(Number(b.seed));
    expect(texts(second)).toEqual(texts(first));
    expect(checkpoint(second)).toBe(checkpoint(first));
    // The dialog's cadence is the user's conversation: a regenerated picture does not count a message.
    expect((await stack.request("GET", `/v1/dialogs/${dialogId}`)).body.messageCount).toBe(1);
  });

  test("the WebSocket does the same: generation:regenerate answers with the new take, or the refusal", async () => {
    const original = await photo();
    const ws = new WebSocket(`${stack.api.replace(/^http/, "ws")}/v1/ws?token=${encodeURIComponent(stack.key)}`);
    const received: Array<Record<string, any>> = [];
    ws.onmessage = (m) => received.push(JSON.parse(String(m.data)));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket did not open"));
    });
    try {
      const answer = (pick: (m: Record<string, any>) => boolean) => eventually(async () => received.find(pick), "a websocket answer");
      ws.send(JSON.stringify({ type: "generation:regenerate", id: original }));
      const running = await answer((m) => m.type === "error" && m.id === original);
      expect(running).toMatchObject({ code: "regenerate_failed", reason: "still_running" });

      await finished(original);
      ws.send(JSON.stringify({ type: "generation:regenerate", id: original }));
      const made = await answer((m) => m.type === "generation:regenerate" && m.id === original);
      expect(made.generation).toMatchObject({ kind: "companion_photo", regeneratedFrom: original, status: "pending" });
      expect(templateVariants("regenerating", "es", "cheerful")).toContain(made.messages[0].content);
      expect((await finished(made.generation.id)).status).toBe("completed");

      ws.send(JSON.stringify({ type: "generation:regenerate", id: "not-mine-at-all" }));
      expect(await answer((m) => m.type === "error" && m.id === "not-mine-at-all")).toMatchObject({ reason: "not_found" });
    } finally {
      ws.close();
    }
  });
});

describe("regenerate with an LLM writing the image prompts", () => {
  let stack: Stack;
  let llm: LlmSimulator;
  beforeAll(async () => {
    llm = await startLlmSimulator({ answer: "golden hour beach selfie, warm backlight, soft waves" });
    stack = await startStack({ stepMs: 5, steps: 3, env: { LLM_BASE_URL: llm.baseUrl, ...(llm.apiKey ? { LLM_API_KEY: llm.apiKey } : {}) } });
  });
  afterAll(async () => {
    await stack?.stop();
    await llm?.stop();
  });

  test("another take keeps the prompt the LLM wrote for the original instead of asking again", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u-llm", text: "¡Dale! [IMAGE: selfie mía en la playa]", persona: SOFIA });
    const original = reply.body.generations[0].id as string;
    await eventually(async () => ((await stack.request("GET", `/v1/generations/${original}`)).body?.status === "completed" ? true : undefined), "the original");
    const first = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: original } });
    expect(first.prompt).toContain("golden hour beach selfie");

    // Asked now, the LLM would write another picture.
    llm.setBehaviour({ answer: "rainy city street at night, neon reflections" });
    const again = await stack.request("POST", `/v1/generations/${original}/regenerate`);
    expect(again.status).toBe(201);
    const id = again.body.generation.id as string;
    await eventually(async () => ((await stack.request("GET", `/v1/generations/${id}`)).body?.status === "completed" ? true : undefined), "the new take");
    const second = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id } });
    expect(second.prompt).toBe(first.prompt);
    expect(Number(second.seed)).not.toBe(Number((await stack.db.prisma.image.findFirstOrThrow({ where: { generationId: original } })).seed));
  });
});

/**
 * Companion photos end to end on real parts: Temporal dev server, PostgreSQL, the ComfyUI simulator
 * over HTTP + WebSocket, sharp, and the API over a real socket.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import sharp from "sharp";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const SEED_REPLY = "¡Dale! [IMAGE: selfie mía en la playa al atardecer]";
const SOFIA = { name: "Sofia", personality: "Alegre y divertida", language: "es" };

async function waitForStatus(stack: Stack, id: string, statuses: string[]) {
  return eventually(async () => {
    const res = await stack.request("GET", `/v1/generations/${id}`);
    return statuses.includes(res.body?.status) ? res.body : undefined;
  }, `generation ${id} to reach ${statuses.join("/")}`);
}

describe("the companion photo scenario: 'Mándame una foto tuya en la playa'", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ stepMs: 60, steps: 6 });
  });
  afterAll(() => stack?.stop());

  test("waiting message at once, then the completion message with a stored WebP", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u1", text: SEED_REPLY, persona: SOFIA });
    expect(reply.status).toBe(200);
    expect(reply.body.text).toBe("¡Dale!");
    expect(reply.body.messages.map((m: { kind: string }) => m.kind)).toEqual(["text", "waiting"]);
    const waiting = reply.body.messages[1];
    expect(waiting.content.length).toBeGreaterThan(5);
    expect(waiting.content).not.toContain("[IMAGE");
    expect(reply.body.generations).toHaveLength(1);
    const gen = reply.body.generations[0];
    expect(gen.description).toBe("selfie mía en la playa al atardecer");
    expect(gen.workflowId).toBe(`darkroom/companion_photo/${gen.id}`);

    // Still in the background: the polling endpoint lists it as pending.
    const early = await stack.request("GET", "/v1/agents/sofia/pending-images?userId=u1");
    expect(early.status).toBe(200);
    expect(early.body.pending.map((p: { id: string }) => p.id)).toContain(gen.id);

    const done = await waitForStatus(stack, gen.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.waitingMessageId).toBe(waiting.id);
    expect(done.progress.percent).toBe(100);
    expect(stack.instanceNames).toContain(done.instance);
    expect(done.images).toHaveLength(1);

    const later = await stack.request("GET", "/v1/agents/sofia/pending-images?userId=u1");
    expect(later.body.pending).toHaveLength(0);
    const completed = later.body.completed.find((c: { id: string }) => c.id === gen.id);
    expect(completed.status).toBe("completed");
    // Signed URLs carry an expiry counted from each answer's own second, so compare what they point at.
    expect(completed.imageUrl.split("?")[0]).toBe(done.images[0].url.split("?")[0]);
    const media = completed.completedMessage.metadata.multimedia;
    expect(media).toHaveLength(1);
    expect(media[0]).toMatchObject({ type: "image", width: done.images[0].width, height: done.images[0].height });
    expect(completed.completedMessage.content.length).toBeGreaterThan(3);
    expect(completed.completedMessage.content).not.toBe(waiting.content);

    // The image: a real WebP, bounded in size, fetched with the key and by its signed URL alone.
    const image = await fetch(`${stack.api}/v1/images/${done.images[0].id}`, { headers: { authorization: `Bearer ${stack.key}` } });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/webp");
    const bytes = Buffer.from(await image.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe("webp");
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(512);
    expect(meta.exif).toBeUndefined();
    const signed = await fetch(media[0].url);
    expect(signed.status).toBe(200);
    expect(Buffer.from(await signed.arrayBuffer()).equals(bytes)).toBe(true);
    const thumb = await fetch(media[0].thumbnailUrl);
    const thumbMeta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(thumbMeta.width!, thumbMeta.height!)).toBeLessThanOrEqual(256);
    const again = await fetch(media[0].url, { headers: { "if-none-match": image.headers.get("etag")! } });
    expect(again.status).toBe(304);
    const tampered = await fetch(media[0].url.replace(/sig=[^&]+/, "sig=forged"));
    expect(tampered.status).toBe(401);

    // Operators find it in Temporal by id and by search attributes.
    // The record is final before the workflow's last steps (releasing the user's slot) finish.
    const described = await eventually(async () => {
      const d = await stack.running.temporal.workflow.getHandle(gen.workflowId).describe();
      return d.status.name === "RUNNING" ? undefined : d;
    }, "the workflow to close");
    expect(described.status.name).toBe("COMPLETED");
    expect(described.searchAttributes.DarkroomTenant).toEqual([stack.tenant]);
    expect(described.searchAttributes.DarkroomAgent).toEqual(["sofia"]);
    expect(described.searchAttributes.DarkroomStatus).toEqual(["completed"]);
  });

  test("the event stream replays the generation's life and ends after the final event", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u-sse", text: "Mira [IMAGE: un gato en la ventana]", persona: SOFIA });
    const id = reply.body.generations[0].id;
    const res = await fetch(`${stack.api}/v1/generations/${id}/events`, { headers: { authorization: `Bearer ${stack.key}` } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text(); // the server closes the stream after the terminal event
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe("message:new");
    expect(events).toContain("image:queued");
    expect(events).toContain("image:progress");
    expect(events.at(-1)).toBe("image:completed");
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));

    // Reconnecting with Last-Event-ID gets only what came after.
    const resumed = await fetch(`${stack.api}/v1/generations/${id}/events`, {
      headers: { authorization: `Bearer ${stack.key}`, "last-event-id": String(ids.at(-2)) },
    });
    const tail = [...(await resumed.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(tail).toEqual([ids.at(-1)!]);
  });

  test("a persona id naming a persona file brings that persona's own ComfyUI template", async () => {
    const lina = JSON.parse(await Bun.file(`${import.meta.dir}/../personas/LINA.json`).text());
    const reply = await stack.request("POST", "/v1/agents/lina/replies", {
      userId: "u-persona",
      text: "[IMAGE: reading in a café]",
      persona: { id: "LINA", name: "Lina", personality: "shy" },
    });
    const done = await waitForStatus(stack, reply.body.generations[0].id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    // LINA's portrait size (not the default 3:4), bounded to the stack's 512 px long edge.
    expect(lina.height).toBeGreaterThan(lina.width);
    expect(done.images[0]).toMatchObject({ height: 512, width: Math.round((512 * lina.width) / lina.height) });
    const row = await stack.db.prisma.generation.findUniqueOrThrow({ where: { id: done.id } });
    const instance = stack.sim.instances[stack.instanceNames.indexOf(done.instance)]!;
    const history = await (await fetch(`${instance.url}/history/${row.requestId}`)).json();
    const graph = history[row.requestId!].prompt[2] as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    const checkpoints = Object.values(graph).filter((n) => n.class_type === "CheckpointLoaderSimple").map((n) => n.inputs.ckpt_name);
    expect(checkpoints).toEqual([lina.checkpoint]);
  });

  test("a reply without tags passes through unchanged and starts nothing", async () => {
    const text = "Hola, ¿cómo estás? [no es una imagen]";
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "u2", text, persona: SOFIA });
    expect(reply.status).toBe(200);
    expect(reply.body.text).toBe(text);
    expect(reply.body.generations).toEqual([]);
    expect(await stack.db.prisma.generation.count({ where: { userId: "u2" } })).toBe(0);
  });

  test("several tags start several generations, each with its own waiting message", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", {
      userId: "u3",
      text: "Here you go [IMAGE: me at the park] and [IMAGE: my dog]",
      persona: { name: "Sofia", personality: "cheerful" },
    });
    expect(reply.body.generations).toHaveLength(2);
    expect(reply.body.messages.filter((m: { kind: string }) => m.kind === "waiting")).toHaveLength(2);
    for (const g of reply.body.generations) expect((await waitForStatus(stack, g.id, ["completed"])).images).toHaveLength(1);
  });
});

describe("failures", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ instances: 1, stepMs: 5, steps: 3 });
  });
  afterAll(() => stack?.stop());

  test("a GPU error ends in an in-character apology and a stored error", async () => {
    stack.sim.instances[0]!.failNext(1, { message: "CUDA out of memory", nodeType: "KSampler" });
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "uf", text: SEED_REPLY, persona: SOFIA });
    const id = reply.body.generations[0].id;
    const failed = await waitForStatus(stack, id, ["failed", "completed"]);
    expect(failed.status).toBe("failed");
    expect(failed.errorMessage).toContain("CUDA out of memory");
    const listed = await stack.request("GET", "/v1/agents/sofia/pending-images?userId=uf");
    const entry = listed.body.completed.find((c: { id: string }) => c.id === id);
    expect(entry.status).toBe("failed");
    expect(entry.errorMessage).toContain("CUDA out of memory");
    expect(entry.completedMessage.kind).toBe("failed");
    expect(entry.completedMessage.content).not.toContain("CUDA");

    // Retry runs it again under the same id and completes with exactly one completion message.
    const retry = await stack.request("POST", `/v1/generations/${id}/retry`);
    expect(retry.status).toBe(202);
    const done = await waitForStatus(stack, id, ["completed"]);
    expect(done.images).toHaveLength(1);
    expect(await stack.db.prisma.message.count({ where: { generationId: id, kind: "completed" } })).toBe(1);
    expect((await stack.request("POST", `/v1/generations/${id}/retry`)).status).toBe(409);
    expect((await stack.request("POST", `/v1/generations/${id}/cancel`)).status).toBe(409);
  });

  test("cancelling a running generation interrupts the GPU and marks it cancelled", async () => {
    stack.sim.instances[0]!.setStepMs(200);
    try {
      const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "uc", text: "[IMAGE: long exposure of the sea]", persona: SOFIA });
      const id = reply.body.generations[0].id;
      await eventually(async () => ((await stack.request("GET", `/v1/generations/${id}`)).body.progress.percent > 0 ? true : undefined), "progress");
      const runsBefore = stack.sim.instances[0]!.runs.length;
      expect((await stack.request("POST", `/v1/generations/${id}/cancel`)).status).toBe(202);
      const cancelled = await waitForStatus(stack, id, ["cancelled"]);
      expect(cancelled.status).toBe("cancelled");
      const run = await eventually(async () => {
        const last = stack.sim.instances[0]!.runs.at(runsBefore - 1);
        return last?.outcome ? last : undefined;
      }, "the simulator to finish the interrupted run");
      expect(run.outcome).toBe("interrupted");
    } finally {
      stack.sim.instances[0]!.setStepMs(5);
    }
  });
});

describe("per-user queueing", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ instances: 2, stepMs: 40, steps: 4, env: { MAX_CONCURRENT_GENERATIONS: "2" } });
  });
  afterAll(() => stack?.stop());

  test("beyond MAX_CONCURRENT_GENERATIONS requests wait in order instead of being refused", async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4, 5]) {
      const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "uq", text: `[IMAGE: photo number ${n}]`, persona: SOFIA });
      expect(reply.status).toBe(200);
      ids.push(reply.body.generations[0].id);
    }
    let maxGenerating = 0;
    let sawQueuePosition = false;
    await eventually(async () => {
      const rows = await stack.db.prisma.generation.findMany({ where: { userId: "uq" } });
      const holding = rows.filter((r) => r.slotClaimedAt && !r.slotReleasedAt).length;
      maxGenerating = Math.max(maxGenerating, holding);
      if (rows.some((r) => r.status === "pending" && (r.queuePosition ?? 0) > 0)) sawQueuePosition = true;
      // A photo gives its slot back just after its record says completed.
      return rows.length === 5 && rows.every((r) => r.status === "completed" && r.slotReleasedAt) ? true : undefined;
    }, "all five photos, their slots given back");
    expect(maxGenerating).toBeLessThanOrEqual(2);
    expect(sawQueuePosition).toBe(true);
    // Served in the order they were asked for. Requests that become eligible together (two slots
    // freeing at once) may claim in either order, but a later request never takes a slot while an
    // earlier one has to wait for the next slot to free up.
    const rows = await stack.db.prisma.generation.findMany({ where: { id: { in: ids } } });
    const claim = (id: string) => rows.find((r) => r.id === id)!.slotClaimedAt!.getTime();
    const releases = rows.map((r) => r.slotReleasedAt!.getTime()).sort((a, b) => a - b);
    for (const [i, earlier] of ids.entries()) {
      for (const later of ids.slice(i + 1)) {
        if (claim(later) >= claim(earlier)) continue;
        const nextRelease = releases.find((t) => t > claim(later)) ?? Infinity;
        expect(claim(earlier)).toBeLessThanOrEqual(nextRelease);
      }
    }
  });
});

describe("the embedded database", () => {
  test("the same flow runs on PGlite when no DATABASE_URL is set", async () => {
    const stack = await startStack({ instances: 1, embeddedDb: true });
    try {
      expect(stack.db.kind).toBe("pglite");
      const reply = await stack.request("POST", "/v1/agents/sofia/replies", { userId: "ue", text: SEED_REPLY, persona: SOFIA });
      expect(reply.status).toBe(200);
      const done = await waitForStatus(stack, reply.body.generations[0].id, ["completed", "failed"]);
      expect(done.status).toBe("completed");
    } finally {
      await stack.stop();
    }
  });
});

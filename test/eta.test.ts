/**
 * ETAs come from what an instance was measured to do: none before it ran a job of that kind, then
 * the measured pace — per kind of job (checkpoint, size, steps), per position in the queue, and
 * from the running prompt's own pace once it has taken two steps. Through the whole stack, the
 * progress events a chat receives carry them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { InstanceThroughput, jobShape } from "../activities/comfyui/throughput";
import { eventually, startStack, type Stack } from "./support/stack";

const graph = (ckpt: string, size: number, steps: number) => ({
  "1": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ckpt } },
  "2": { class_type: "EmptyLatentImage", inputs: { width: size, height: size, batch_size: 1 } },
  "3": { class_type: "KSampler", inputs: { steps, seed: 1, model: ["1", 0] } },
});

describe("measured throughput", () => {
  test("the kind of a job is its checkpoint, size and steps (not its prompt or seed)", () => {
    expect(jobShape(graph("a.safetensors", 512, 20)).key).toBe(jobShape({ ...graph("a.safetensors", 512, 20), "9": { class_type: "CLIPTextEncode", inputs: { text: "other" } } }).key);
    expect(jobShape(graph("a.safetensors", 512, 20)).key).not.toBe(jobShape(graph("b.safetensors", 512, 20)).key);
    expect(jobShape(graph("a.safetensors", 512, 20)).key).not.toBe(jobShape(graph("a.safetensors", 1024, 20)).key);
    expect(jobShape(graph("a.safetensors", 512, 20)).steps).toBe(20);
  });

  test("no estimate before a job of that kind ran; then the measured job time, queue included", () => {
    const t = new InstanceThroughput();
    expect(t.queuedMs("a", 0)).toBeUndefined();
    expect(t.runningMs("a", 1000, { startedAt: 0 })).toBeUndefined();
    // 10 steps of 100 ms after 200 ms of loading, 300 ms to decode and save: 1.5 s in all.
    t.observe("a", { startedAt: 0, firstStep: { at: 300, value: 1 }, lastStep: { at: 1200, value: 10 }, finishedAt: 1500 });
    expect(t.jobMs("a")).toBe(1500);
    expect(t.queuedMs("a", 0)).toBe(1500);
    // Two ahead: the running one is half done on average, the next a whole job, then ours.
    expect(t.queuedMs("a", 2)).toBe(1.5 * 1500 + 1500);
    expect(t.queuedMs("b", 0)).toBeUndefined();
  });

  test("a running prompt's time left follows its own pace once it has two steps", () => {
    const t = new InstanceThroughput();
    t.observe("a", { startedAt: 0, firstStep: { at: 300, value: 1 }, lastStep: { at: 1200, value: 10 }, finishedAt: 1500 });
    // Before its first step: the measured job time minus what has passed.
    expect(t.runningMs("a", 500, { startedAt: 0 })).toBe(1000);
    // At step 1 of 10, at the measured 100 ms a step: 9 steps and the 300 ms tail.
    expect(t.runningMs("a", 300, { startedAt: 0, firstStep: { at: 300, value: 1 }, step: { at: 300, value: 1, max: 10 } })).toBe(1200);
    // This run is twice as slow (200 ms a step): 5 steps left take 1 s, plus the tail.
    expect(t.runningMs("a", 1100, { startedAt: 0, firstStep: { at: 300, value: 1 }, step: { at: 1100, value: 5, max: 10 } })).toBe(5 * 200 + 300);
  });

  test("the measurements follow the instance when it gets slower", () => {
    const t = new InstanceThroughput();
    for (let i = 0; i < 3; i++) t.observe("a", { startedAt: 0, finishedAt: 1000 });
    for (let i = 0; i < 6; i++) t.observe("a", { startedAt: 0, finishedAt: 3000 });
    expect(t.jobMs("a")!).toBeGreaterThan(2500);
  });
});

describe("ETAs in the progress a chat receives", () => {
  let stack: Stack;
  afterAll(() => stack?.stop());

  test("the first photo of a kind has no ETA; the next ones do, and it counts down", async () => {
    stack = await startStack({ instances: 1, stepMs: 60, steps: 8 });
    const photo = async (userId: string) => {
      const r = await stack.request("POST", "/v1/agents/lina/replies", { userId, text: "Sure! [IMAGE: a cat on a sofa]" });
      expect(r.status).toBe(200);
      return r.body.generations[0].id as string;
    };
    const progressOf = async (id: string) => {
      await eventually(async () => ((await stack.request("GET", `/v1/generations/${id}`)).body.status === "completed" ? true : undefined), `photo ${id} completed`);
      const events = await stack.db.prisma.event.findMany({ where: { type: "image:progress", generationId: id }, orderBy: { id: "asc" } });
      return events.map((e) => e.payload as { percent: number; step?: number; etaSeconds?: number });
    };

    const first = await progressOf(await photo("eta-1"));
    expect(first.filter((p) => p.percent < 100 && (p.step ?? 0) < 2).every((p) => p.etaSeconds === undefined)).toBe(true);

    const second = await progressOf(await photo("eta-2"));
    const timed = second.filter((p) => p.percent < 100 && p.etaSeconds !== undefined);
    expect(timed.length).toBeGreaterThan(1);
    for (const p of timed) expect(p.etaSeconds!).toBeGreaterThan(0);
    // It counts down as the steps go by.
    expect(timed.at(-1)!.etaSeconds!).toBeLessThan(timed[0]!.etaSeconds!);
    // The generation's record shows the latest one while it runs and clears it when done.
    const done = (await stack.request("GET", `/v1/generations/${(await stack.db.prisma.generation.findFirst({ where: { userId: "eta-2" } }))!.id}`)).body;
    expect(done.etaSeconds).toBeUndefined();
  });
});

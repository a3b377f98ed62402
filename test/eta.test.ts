/**
 * ETAs come from what an instance was measured to do: none before it ran a job of that kind, then
 * the measured pace — per kind of job (checkpoint, size, steps), per position in the queue, and
 * from the running prompt's own pace once it has taken two steps. Through the whole stack, the
 * progress events a chat receives carry them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ProgressReporter } from "../activities/comfyui/progress";
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

  test("behind a prompt of ours that is running, a queued ETA counts that prompt's own time left", () => {
    const t = new InstanceThroughput();
    t.observe("a", { startedAt: 0, firstStep: { at: 300, value: 1 }, lastStep: { at: 1200, value: 10 }, finishedAt: 1500 });
    // Step 8 of 10 at the measured pace: 2 steps and the tail left, 500 ms — not half a job (750).
    const running = { startedAt: 0, firstStep: { at: 300, value: 1 }, step: { at: 1000, value: 8, max: 10 } };
    const stop = t.trackRunning("p1", (now) => t.runningMs("a", now, running));
    expect(t.queuedMs("a", 1, 1000)).toBe(500 + 1500);
    // Two ahead: the running one's time left, one whole job, then ours.
    expect(t.queuedMs("a", 2, 1000)).toBe(500 + 1500 + 1500);
    // Nothing ahead: only our own job.
    expect(t.queuedMs("a", 0, 1000)).toBe(1500);
    // Once it is no longer followed (finished, failed), back to half a job on average.
    stop();
    expect(t.queuedMs("a", 1, 1000)).toBe(0.5 * 1500 + 1500);
  });

  test("a queued ETA before any job ran here waits for a measurement, even behind a running prompt", () => {
    const t = new InstanceThroughput();
    t.trackRunning("p1", () => 400);
    expect(t.queuedMs("a", 1)).toBeUndefined();
  });

  test("the prompt a GPU worker follows counts as the running one for the ETAs behind it, from its start until it ends", async () => {
    const t = new InstanceThroughput();
    t.observe("a", { startedAt: 0, finishedAt: 1000 });
    const reporter = new ProgressReporter("g1", "gpu0", undefined, () => undefined);
    reporter.timeWith({ shape: "a", throughput: t });
    expect(t.queuedMs("a", 1)).toBe(500 + 1000);
    // It has just started: nearly the whole job is left, not half of it.
    reporter.observe("p1", { type: "running" });
    expect(t.queuedMs("a", 1)).toBeGreaterThan(1900);
    await reporter.finish("p1");
    // Ended (and measured, a very short run): back to half a job of the new measurement.
    expect(t.queuedMs("a", 1)).toBe(1.5 * t.jobMs("a")!);

    // A prompt that fails or is cancelled is let go the same way.
    const failing = new ProgressReporter("g2", "gpu0", undefined, () => undefined);
    failing.timeWith({ shape: "a", throughput: t });
    failing.observe("p2", { type: "running" });
    expect(t.queuedMs("a", 1)).toBeGreaterThan(1.5 * t.jobMs("a")!);
    failing.stopTracking();
    expect(t.queuedMs("a", 1)).toBe(1.5 * t.jobMs("a")!);
  });

  test("an ETA counts the measured time from the instance's finish to the chat being told, once there is one", async () => {
    const t = new InstanceThroughput();
    // 10 steps of 100 ms after 200 ms of loading, 300 ms to decode and save.
    t.observe("a", { startedAt: 0, firstStep: { at: 300, value: 1 }, lastStep: { at: 1200, value: 10 }, finishedAt: 1500 });
    const sent: Array<{ percent: number; etaSeconds?: number }> = [];
    const photo = (id: string) => {
      const reporter = new ProgressReporter(id, "gpu0", (p) => void sent.push(p), () => undefined);
      reporter.timeWith({ shape: "a", throughput: t });
      return reporter;
    };
    // Nothing measured yet: the GPU's part alone, and nothing left once the instance is done.
    let reporter = photo("g1");
    reporter.observe("p1", { type: "queued", position: 0 });
    await reporter.finish("p1");
    expect(sent.map((p) => p.etaSeconds)).toEqual([1.5, 0]);

    t.observeDelivery(400);
    expect(t.deliveryMs()).toBe(400);
    sent.length = 0;
    reporter = photo("g2");
    reporter.observe("p2", { type: "queued", position: 0 });
    reporter.observe("p2", { type: "progress", value: 10, max: 10, node: "3" });
    await reporter.finish("p2");
    // Queued: a whole job, then delivery. At the last step the decode and save are still ahead
    // (300 ms), then delivery. Finished on the instance: delivery alone.
    expect(sent.map((p) => p.percent)).toEqual([0, 100]);
    expect(sent[0]!.etaSeconds).toBe(1.9);
    expect(sent[1]!.etaSeconds).toBeCloseTo(0.7, 1);
    // The last report came from the last step, so finish sends nothing more; a prompt finished
    // without a 100% step says what delivery has left.
    sent.length = 0;
    reporter = photo("g3");
    reporter.observe("p3", { type: "running" });
    await reporter.finish("p3");
    expect(sent.at(-1)).toMatchObject({ percent: 100, etaSeconds: 0.4 });

    // Running averages, like the job times: a slower main worker shows up within a few pictures.
    for (let i = 0; i < 6; i++) t.observeDelivery(2000);
    expect(t.deliveryMs()!).toBeGreaterThan(1500);
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

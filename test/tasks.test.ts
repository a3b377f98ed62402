/**
 * The task API on real parts: the flow registry, validation that names the field, and the
 * task's SSE stream — the task wire format's bytes, ending after the terminal state, resumable with
 * Last-Event-ID without losing or repeating an update.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { pythonJson } from "../lib/live/pythonJson";
import type { SimInstance } from "../simulators/comfyui";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

interface Frame {
  raw: string;
  id: string;
  data: { state: string; details: { status: string; progress: number; step_results: unknown[]; final_result?: unknown } };
}

/** Reads an SSE response to its end (or until `stopAfter` frames), keeping each frame's exact bytes. */
async function readFrames(res: Response, stopAfter = Infinity): Promise<{ frames: Frame[]; ended: boolean; text: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const frames: Frame[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { frames, ended: true, text };
    text += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = text.indexOf("\n\n", frames.reduce((n, f) => n + f.raw.length, 0))) >= 0) {
      const start = frames.reduce((n, f) => n + f.raw.length, 0);
      const raw = text.slice(start, end + 2);
      const m = /^id: (\d+)\ndata: (.*)\n\n$/.exec(raw);
      if (!m) throw new Error(`not a task SSE frame: ${JSON.stringify(raw)}`);
      frames.push({ raw, id: m[1]!, data: JSON.parse(m[2]!) });
      if (frames.length >= stopAfter) {
        await reader.cancel();
        return { frames, ended: false, text };
      }
    }
  }
}

describe("task API", () => {
  let stack: Stack;
  const events = (taskId: string, lastEventId?: string) =>
    fetch(`${stack.api}/v1/tasks/${taskId}/events`, {
      headers: { authorization: `Bearer ${stack.key}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
    });

  beforeAll(async () => {
    stack = await startStack({ stepMs: 40, steps: 6 });
  });
  afterAll(() => stack?.stop());

  test("GET /v1/flows lists every flow with its input schema", async () => {
    const res = await stack.request("GET", "/v1/flows");
    expect(res.status).toBe(200);
    const names = res.body.flows.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(["companion_photo", "angle_series", "chat_image", "variations"]));
    const variations = res.body.flows.find((f: { name: string }) => f.name === "variations");
    expect(variations.description.length).toBeGreaterThan(10);
    expect(variations.inputs.type).toBe("object");
    expect(variations.inputs.properties.count).toMatchObject({ type: "number", multipleOf: 1, minimum: 1, maximum: 8 });
  });

  test("an unknown flow is a 400 listing the known ones", async () => {
    const res = await stack.request("POST", "/v1/tasks", { flow: "poem_flow", inputs: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("unknown_flow");
    for (const name of ["companion_photo", "angle_series", "chat_image", "variations"]) expect(res.body.error.message).toContain(name);
    expect(res.body.error.details.known).toContain("variations");
  });

  test("invalid inputs are a 400 naming the field", async () => {
    const wrongType = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "a red bicycle", count: "many" } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe("invalid_inputs");
    expect(wrongType.body.error.message).toContain("inputs.count");
    const missing = await stack.request("POST", "/v1/tasks", { flow: "companion_photo", inputs: { agentId: "sofia", userId: "u1" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("inputs.description");
    const neither = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { count: 2 } });
    expect(neither.status).toBe(400);
    expect(neither.body.error.message).toContain("inputs.prompt");
    const notMine = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { sourceGenerationId: "nope-123" } });
    expect(notMine.status).toBe(400);
    expect(notMine.body.error.message).toContain("inputs.sourceGenerationId");
  });

  test("variations: SSE in the task wire format's bytes, progress to SUCCESS, then the stream ends", async () => {
    const started = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "a red bicycle by the sea", count: 2, width: 256, height: 256 } });
    expect(started.status).toBe(200);
    const taskId = started.body.task_id as string;
    expect(Object.keys(started.body)).toEqual(["task_id"]);

    const res = await events(taskId);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const { frames, ended, text } = await readFrames(res);
    expect(ended).toBe(true);
    // Nothing but frames: no comments, no `event:` lines, exactly `id: N\ndata: <json>\n\n` each.
    expect(frames.map((f) => f.raw).join("")).toBe(text);
    for (const f of frames) {
      expect(Object.keys(f.data)).toEqual(["state", "details"]);
      // The JSON is written as Python's json.dumps writes it.
      expect(f.raw).toBe(`id: ${f.id}\ndata: ${pythonJson(f.data)}\n\n`);
      expect(["PENDING", "PROGRESS", "SUCCESS", "FAILURE"]).toContain(f.data.state);
    }
    const ids = frames.map((f) => BigInt(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(frames[0]!.data.state).toBe("PENDING");
    expect(frames.some((f) => f.data.state === "PROGRESS")).toBe(true);
    const progress = frames.map((f) => f.data.details.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const last = frames.at(-1)!.data;
    expect(last.state).toBe("SUCCESS");
    expect(last.details.progress).toBe(100);
    const final = last.details.final_result as { images: Array<{ imageId: string; seed: number }> };
    expect(final.images).toHaveLength(2);
    expect(new Set(final.images.map((i) => i.seed)).size).toBe(2);
    const tools = last.details.step_results.filter((s) => (s as { type: string }).type === "tool_result");
    expect(tools.map((s) => (s as { step_name: string }).step_name)).toEqual(expect.arrayContaining(["Variation 1 of 2", "Variation 2 of 2"]));

    // While the GPU worked, the task showed the picture developing: one "Preview" step result,
    // replaced by each newer preview, whose URL loads a small WebP; the finished pictures take its
    // place at the end.
    type Tool = { type: string; step_name?: string; tool?: string; data?: { url: string; width: number; height: number; step?: number; of?: number } };
    const withPreview = frames.filter((f) => (f.data.details.step_results as Tool[]).some((s) => s.step_name === "Preview"));
    expect(withPreview.length).toBeGreaterThan(0);
    for (const f of withPreview) {
      const steps = f.data.details.step_results as Tool[];
      expect(steps.filter((s) => s.step_name === "Preview")).toHaveLength(1);
    }
    const preview = (withPreview.at(-1)!.data.details.step_results as Tool[]).find((s) => s.step_name === "Preview")!;
    expect(preview).toMatchObject({ type: "tool_result", tool: "comfyui" });
    const image = await fetch(preview.data!.url);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/webp");
    expect(Math.max(preview.data!.width, preview.data!.height)).toBeLessThanOrEqual(256);
    expect((last.details.step_results as Tool[]).some((s) => s.step_name === "Preview")).toBe(false);

    const state = await stack.request("GET", `/v1/tasks/${taskId}`);
    expect(state.status).toBe(200);
    expect(state.body).toEqual(last);

    // Reconnecting after the end: nothing new, the stream ends at once.
    const after = await readFrames(await events(taskId, frames.at(-1)!.id));
    expect(after).toMatchObject({ frames: [], ended: true });
  });

  test("Last-Event-ID in the middle of a generation: every update once", async () => {
    const started = await stack.request("POST", "/v1/tasks", {
      flow: "companion_photo",
      inputs: { agentId: "sofia", userId: "u-sse", description: "selfie at the beach", persona: { name: "Sofia", personality: "cheerful", language: "en" } },
    });
    expect(started.status).toBe(200);
    const taskId = started.body.task_id as string;

    const first = await readFrames(await events(taskId), 3);
    expect(first.ended).toBe(false);
    const rest = await readFrames(await events(taskId, first.frames.at(-1)!.id));
    expect(rest.ended).toBe(true);
    const seen = [...first.frames, ...rest.frames];

    const whole = await readFrames(await events(taskId));
    expect(seen.map((f) => f.raw)).toEqual(whole.frames.map((f) => f.raw));
    expect(new Set(seen.map((f) => f.id)).size).toBe(seen.length);
    expect(whole.frames.at(-1)!.data.state).toBe("SUCCESS");
    const final = whole.frames.at(-1)!.data.details.final_result as { message: { kind: string } };
    expect(final.message.kind).toBe("completed");
  });

  test("a failed task is retried under the same id and then succeeds (retry works for every flow)", async () => {
    // The first run can only go to instance 0, which fails it; instance 1 comes back for the retry.
    const [first, second] = stack.sim.instances as [SimInstance, SimInstance];
    await second.down();
    first.failNext(1, { message: "CUDA out of memory" });
    const started = await stack.request("POST", "/v1/tasks", { flow: "variations", inputs: { prompt: "a kite over the dunes", count: 1, width: 256, height: 256 } });
    const id = started.body.task_id as string;
    const state = async () => (await stack.request("GET", `/v1/tasks/${id}`)).body.state as string;
    await eventually(async () => ((await state()) === "FAILURE" ? true : undefined), "the task to fail");
    await second.up();
    const retry = await stack.request("POST", `/v1/generations/${id}/retry`);
    expect(retry.status).toBe(202);
    await eventually(async () => ((await state()) === "SUCCESS" ? true : undefined), "the retried task to succeed");
    const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
    expect(g.status).toBe("completed");
    expect(g.images).toHaveLength(1);
    expect((await stack.request("POST", `/v1/generations/${id}/retry`)).status).toBe(409);
  });

  test("another tenant's task is a 404", async () => {
    const res = await stack.request("GET", "/v1/tasks/00000000-0000-0000-0000-000000000000");
    expect(res.status).toBe(404);
  });
});

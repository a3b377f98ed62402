import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { startComfySimulator, type ComfySimulator, type SimInstance } from "../simulators/comfyui";
import { readTextChunks } from "../simulators/comfyui/png-text";

interface WsEvent {
  type: string;
  data: Record<string, unknown>;
}

type Frame = WsEvent | Uint8Array;

const isEvent = (frame: Frame): frame is WsEvent => !(frame instanceof Uint8Array);

/** A ComfyUI client socket that records every frame and lets a test wait for one. */
class ComfySocket {
  readonly frames: Frame[] = [];
  private notify: (() => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (message) => {
      this.frames.push(typeof message.data === "string" ? (JSON.parse(message.data) as WsEvent) : new Uint8Array(message.data as ArrayBuffer));
      this.notify?.();
    };
  }

  static async open(baseUrl: string, clientId?: string): Promise<ComfySocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws${clientId ? `?clientId=${clientId}` : ""}`);
    const socket = new ComfySocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket failed to open"));
    });
    // ComfyUI greets every socket with a status frame; clients wait for it to learn their sid.
    await socket.waitFor((e) => e.type === "status");
    return socket;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  events(promptId?: string): WsEvent[] {
    return this.frames.filter(isEvent).filter((e) => promptId === undefined || e.data.prompt_id === promptId);
  }

  async waitFor(predicate: (event: WsEvent) => boolean): Promise<WsEvent> {
    for (;;) {
      const found = this.events().find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => {
        this.notify = resolve;
      });
    }
  }

  finished(promptId: string): Promise<WsEvent> {
    return this.waitFor((e) => e.type === "executing" && e.data.node === null && e.data.prompt_id === promptId);
  }

  close(): void {
    this.ws.close();
  }
}

interface GraphOptions {
  width?: number;
  height?: number;
  steps?: number;
  seed?: number;
  text?: string;
  ckpt?: string;
  prefix?: string;
  batch?: number;
}

function txt2img(o: GraphOptions = {}): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  return {
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: o.ckpt ?? "dreamshaper_8.safetensors" } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: o.width ?? 64, height: o.height ?? 48, batch_size: o.batch ?? 1 } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: o.text ?? "a lighthouse at dusk", clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "blurry", clip: ["4", 1] } },
    "3": {
      class_type: "KSampler",
      inputs: {
        model: ["4", 0],
        seed: o.seed ?? 42,
        steps: o.steps ?? 4,
        cfg: 7,
        sampler_name: "euler",
        scheduler: "normal",
        positive: ["6", 0],
        negative: ["7", 0],
        latent_image: ["5", 0],
        denoise: 1,
      },
    },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: o.prefix ?? "ComfyUI" } },
  };
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

async function submit(base: string, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(`${base}/prompt`, body);
  const json = (await res.json()) as { prompt_id: string; node_errors: unknown };
  expect(res.status).toBe(200);
  expect(json.node_errors).toEqual({});
  return json.prompt_id;
}

async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

interface HistoryEntry {
  outputs: Record<string, { images: Array<{ filename: string; subfolder: string; type: string }> }>;
  status: { status_str: string; completed: boolean; messages: Array<[string, Record<string, unknown>]> };
  prompt: unknown[];
}

let outputDir: string;
let simulator: ComfySimulator;
let comfy: SimInstance;
let base: string;

beforeAll(async () => {
  outputDir = mkdtempSync(path.join(os.tmpdir(), "darkroom-comfysim-"));
  // A generous history delay so "history is still empty right after execution_success" is observable.
  simulator = await startComfySimulator({ instances: 1, stepMs: 5, outputDir, historyDelayMs: 150 });
  comfy = simulator.instances[0] as SimInstance;
  base = comfy.url;
});

afterAll(async () => {
  await simulator.stop();
  rmSync(outputDir, { recursive: true, force: true });
});

describe("a valid graph", () => {
  test("runs with ComfyUI's event sequence, per-step progress, binary previews, late history and a real PNG", async () => {
    const socket = await ComfySocket.open(base, "client-a");
    const first = socket.events()[0];
    expect(first).toEqual({ type: "status", data: { status: { exec_info: { queue_remaining: 0 } }, sid: "client-a" } });

    const graph = txt2img({ width: 96, height: 64, steps: 5 });
    const promptId = await submit(base, { prompt: graph, client_id: "client-a" });
    expect(promptId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    await socket.waitFor((e) => e.type === "execution_success" && e.data.prompt_id === promptId);
    const historyAtSuccess = await getJson(`${base}/history/${promptId}`);
    expect(historyAtSuccess).toEqual({});
    await socket.finished(promptId);

    const events = socket.events(promptId);
    const kinds = events.map((e) => e.type);
    expect(kinds[0]).toBe("execution_start");
    expect(kinds[1]).toBe("execution_cached");
    expect(kinds.slice(-2)).toEqual(["execution_success", "executing"]);
    const executed = events.filter((e) => e.type === "executing" && e.data.node !== null).map((e) => e.data.node);
    expect(new Set(executed)).toEqual(new Set(["3", "4", "5", "6", "7", "8", "9"]));
    expect(executed.indexOf("3")).toBeGreaterThan(executed.indexOf("5"));
    expect(executed.indexOf("9")).toBeGreaterThan(executed.indexOf("8"));
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.map((e) => e.data.value)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.every((e) => e.data.max === 5 && e.data.node === "3")).toBe(true);
    expect(kinds.indexOf("executed")).toBeGreaterThan(kinds.lastIndexOf("progress"));
    const saved = events.find((e) => e.type === "executed")?.data as { node: string; output: { images: Array<{ filename: string; subfolder: string; type: string }> } };
    expect(saved.node).toBe("9");
    expect(saved.output.images).toEqual([{ filename: "ComfyUI_00001_.png", subfolder: "", type: "output" }]);

    const previews = socket.frames.filter((f): f is Uint8Array => f instanceof Uint8Array);
    expect(previews.length).toBeGreaterThan(0);
    const preview = previews[0] as Uint8Array;
    const header = new DataView(preview.buffer, preview.byteOffset, 8);
    expect(header.getUint32(0)).toBe(1);
    expect(header.getUint32(4)).toBe(1);
    expect((await sharp(preview.subarray(8)).metadata()).format).toBe("jpeg");

    const history = await getJson<Record<string, HistoryEntry>>(`${base}/history/${promptId}`);
    const entry = history[promptId] as HistoryEntry;
    expect(entry.status.status_str).toBe("success");
    expect(entry.status.completed).toBe(true);
    expect(entry.status.messages.map(([event]) => event)).toEqual(["execution_start", "execution_cached", "execution_success"]);
    expect(entry.outputs["9"]?.images).toEqual(saved.output.images);
    expect(entry.prompt[1]).toBe(promptId);
    expect(entry.prompt[4]).toEqual(["9"]);

    const view = await fetch(`${base}/view?filename=ComfyUI_00001_.png&subfolder=&type=output`);
    expect(view.status).toBe(200);
    expect(view.headers.get("content-type")).toBe("image/png");
    const png = Buffer.from(await view.arrayBuffer());
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 96, 64]);
    expect(JSON.parse(readTextChunks(png).prompt ?? "null")).toEqual(graph);
    socket.close();
  });

  test("the image depends on seed and prompt text, the counter advances per file, and an identical re-run is cached", async () => {
    const socket = await ComfySocket.open(base, "client-det");
    const ids: string[] = [];
    // Only the previous prompt is cached, so seed 1 after seed 2 runs again; seed 1 straight after seed 1 does not.
    for (const options of [{ seed: 1 }, { seed: 2 }, { seed: 1 }, { seed: 1 }, { seed: 1, text: "a different prompt" }]) {
      ids.push(await submit(base, { prompt: txt2img({ ...options, prefix: "det", steps: 1 }), client_id: "client-det" }));
    }
    await socket.finished(ids[4] as string);
    const saved = ids.map((id) => (socket.events(id).find((e) => e.type === "executed")?.data.output as { images: Array<{ filename: string }> }).images[0]?.filename);
    expect(saved).toEqual(["det_00001_.png", "det_00002_.png", "det_00003_.png", "det_00003_.png", "det_00004_.png"]);
    expect(socket.events(ids[3]).some((e) => e.type === "executing" && e.data.node !== null)).toBe(false);
    expect(socket.events(ids[3]).find((e) => e.type === "execution_cached")?.data.nodes).toEqual(["3", "4", "5", "6", "7", "8", "9"]);
    expect((await fetch(`${base}/view?filename=det_00005_.png&type=output`)).status).toBe(404);
    const pixels = await Promise.all(
      [1, 2, 3, 4].map(async (n) => {
        const res = await fetch(`${base}/view?filename=det_0000${n}_.png&type=output`);
        expect(res.status).toBe(200);
        return sharp(Buffer.from(await res.arrayBuffer())).raw().toBuffer();
      }),
    );
    expect(pixels[0]?.equals(pixels[2] as Buffer)).toBe(true);
    expect(pixels[0]?.equals(pixels[1] as Buffer)).toBe(false);
    expect(pixels[0]?.equals(pixels[3] as Buffer)).toBe(false);
    socket.close();
  });

  test("/view refuses path escapes and 404s missing files", async () => {
    expect((await fetch(`${base}/view?filename=../../etc/passwd&type=output`)).status).toBe(400);
    expect((await fetch(`${base}/view?filename=/etc/passwd&type=output`)).status).toBe(400);
    expect((await fetch(`${base}/view?filename=passwd&subfolder=../../../etc&type=output`)).status).toBe(403);
    expect((await fetch(`${base}/view?filename=nothing_here.png&type=output`)).status).toBe(404);
    expect((await fetch(`${base}/api/view?filename=ComfyUI_00001_.png&type=output`)).status).toBe(200);
  });

  for (const supported of [true, false]) {
    test(`previews are the picture shrunk to fit 512 px; ${supported ? "after the handshake they are event 4 frames" : "a build without feature flags leaves the handshake unanswered and sends event 1"}`, async () => {
      comfy.setPreviewMetadata(supported);
      try {
        const clientId = `client-flags-${supported}`;
        const socket = await ComfySocket.open(base, clientId);
        socket.send({ type: "feature_flags", data: { supports_preview_metadata: true } });
        if (supported) await socket.waitFor((e) => e.type === "feature_flags");
        const promptId = await submit(base, { prompt: txt2img({ width: 1024, height: 768, steps: 2, seed: supported ? 11 : 12, prefix: "flags" }), client_id: clientId });
        await socket.finished(promptId);
        expect(socket.events().some((e) => e.type === "feature_flags")).toBe(supported);
        const frames = socket.frames.filter((f): f is Uint8Array => f instanceof Uint8Array);
        expect(frames).toHaveLength(2);
        for (const frame of frames) {
          const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
          expect(view.getUint32(0)).toBe(supported ? 4 : 1);
          const jpeg = frame.subarray(supported ? 8 + view.getUint32(4) : 8);
          const meta = await sharp(jpeg).metadata();
          expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 512, 384]);
        }
        socket.close();
      } finally {
        comfy.setPreviewMetadata(true);
      }
    });
  }
});

describe("invalid graphs", () => {
  test("an unknown class_type is invalid_prompt (0.3.64's type for it) with empty node_errors", async () => {
    const graph = { ...txt2img(), "10": { class_type: "UltraUpscaler", inputs: {} } };
    const res = await postJson(`${base}/prompt`, { prompt: graph });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown>; node_errors: unknown };
    expect(body.error.type).toBe("invalid_prompt");
    expect(body.error.message).toBe("Cannot execute because node UltraUpscaler does not exist.");
    expect(body.node_errors).toEqual({});
  });

  test("a missing required input names the node in node_errors", async () => {
    const graph = txt2img();
    delete graph["3"]?.inputs.steps;
    const res = await postJson(`${base}/prompt`, { prompt: graph });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown>; node_errors: Record<string, { errors: Array<Record<string, unknown>>; dependent_outputs: string[]; class_type: string }> };
    expect(body.error.type).toBe("prompt_outputs_failed_validation");
    expect(Object.keys(body.node_errors)).toEqual(["3"]);
    expect(body.node_errors["3"]?.class_type).toBe("KSampler");
    expect(body.node_errors["3"]?.dependent_outputs).toEqual(["9"]);
    expect(body.node_errors["3"]?.errors[0]).toMatchObject({ type: "required_input_missing", details: "steps", extra_info: { input_name: "steps" } });
  });

  test("a checkpoint outside the list is value_not_in_list", async () => {
    const res = await postJson(`${base}/prompt`, { prompt: txt2img({ ckpt: "x.safetensors" }) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Record<string, unknown>; node_errors: Record<string, { errors: Array<Record<string, unknown>> }> };
    expect(body.error.type).toBe("prompt_outputs_failed_validation");
    const error = body.node_errors["4"]?.errors[0];
    expect(error?.type).toBe("value_not_in_list");
    expect(error?.details).toBe(
      "ckpt_name: 'x.safetensors' not in ['sd_xl_base_1.0.safetensors', 'dreamshaper_8.safetensors', 'juggernautXL_v9.safetensors', 'realisticVision_v51.safetensors']",
    );
  });

  test("a graph without an output node is prompt_no_outputs", async () => {
    const graph = txt2img();
    delete graph["9"];
    const res = await postJson(`${base}/prompt`, { prompt: graph });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("prompt_no_outputs");
  });

  test("a link to a node that does not exist is refused", async () => {
    const graph = txt2img();
    (graph["8"] as { inputs: Record<string, unknown> }).inputs.samples = ["99", 0];
    const res = await postJson(`${base}/prompt`, { prompt: graph });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string } };
    expect(body.error.type).toBe("prompt_outputs_failed_validation");
  });

  test("a body that is not JSON is a plain-text 500; one without a prompt is no_prompt", async () => {
    const accepted = comfy.submitted.length;
    const broken = await fetch(`${base}/prompt`, { method: "POST", body: "{not json" });
    expect(broken.status).toBe(500);
    expect(await broken.text()).toBe("500 Internal Server Error\n\nServer got itself in trouble");
    const res = await fetch(`${base}/prompt`, { method: "POST", body: JSON.stringify({ client_id: "x" }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { type: "no_prompt", message: "No prompt provided", details: "No prompt provided", extra_info: {} },
      node_errors: {},
    });
    expect(comfy.submitted.length).toBe(accepted);
  });
});

describe("the queue", () => {
  test("prompts run one at a time in FIFO order, and front: true jumps ahead", async () => {
    const socket = await ComfySocket.open(base, "client-q");
    const a = await submit(base, { prompt: txt2img({ steps: 6 }), client_id: "client-q" });
    // Different seeds: an identical graph straight after another would be served from the cache.
    const b = await submit(base, { prompt: txt2img({ steps: 2, seed: 7 }), client_id: "client-q" });
    const c = await submit(base, { prompt: txt2img({ steps: 2, seed: 8 }), client_id: "client-q", front: true });
    await socket.finished(b);
    await socket.finished(c);
    const runs = comfy.runs.filter((r) => [a, b, c].includes(r.promptId));
    expect(runs.map((r) => r.promptId)).toEqual([a, c, b]);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]?.startedAt).toBeGreaterThanOrEqual(runs[i - 1]?.finishedAt as number);
    }
    expect(runs.map((r) => r.steps)).toEqual([6, 2, 2]);
    expect(runs.every((r) => r.outcome === "success")).toBe(true);
    const starts = socket.events().filter((e) => e.type === "execution_start").map((e) => e.data.prompt_id);
    expect(starts.slice(-3)).toEqual([a, c, b]);
    socket.close();
  });

  test("POST /queue delete removes a pending prompt, which then never runs", async () => {
    const socket = await ComfySocket.open(base, "client-del");
    comfy.setStepMs(30);
    const running = await submit(base, { prompt: txt2img({ steps: 8 }), client_id: "client-del" });
    const doomed = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-del" });
    await socket.waitFor((e) => e.type === "progress" && e.data.prompt_id === running);
    const queue = await getJson<{ queue_running: unknown[][]; queue_pending: unknown[][] }>(`${base}/queue`);
    expect(queue.queue_running.map((item) => item[1])).toEqual([running]);
    expect(queue.queue_pending.map((item) => item[1])).toEqual([doomed]);

    expect((await postJson(`${base}/queue`, { delete: [doomed] })).status).toBe(200);
    const after = await getJson<{ queue_pending: unknown[][] }>(`${base}/queue`);
    expect(after.queue_pending).toEqual([]);
    comfy.setStepMs(5);
    await socket.finished(running);
    expect(comfy.runs.some((r) => r.promptId === doomed)).toBe(false);
    expect(await getJson(`${base}/history/${doomed}`)).toEqual({});
    socket.close();
  });

  test("interrupting a queued prompt_id is a no-op; interrupting the running one stops it", async () => {
    const socket = await ComfySocket.open(base, "client-int");
    comfy.setStepMs(30);
    const running = await submit(base, { prompt: txt2img({ steps: 30 }), client_id: "client-int" });
    const queued = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-int" });
    await socket.waitFor((e) => e.type === "progress" && e.data.prompt_id === running);

    expect((await postJson(`${base}/interrupt`, { prompt_id: queued })).status).toBe(200);
    await socket.waitFor((e) => e.type === "progress" && e.data.prompt_id === running && (e.data.value as number) >= 3);
    expect(socket.events(running).some((e) => e.type === "execution_interrupted")).toBe(false);
    const queue = await getJson<{ queue_pending: unknown[][] }>(`${base}/queue`);
    expect(queue.queue_pending.map((item) => item[1])).toEqual([queued]);

    expect((await postJson(`${base}/interrupt`, { prompt_id: running })).status).toBe(200);
    comfy.setStepMs(5);
    const interrupted = await socket.waitFor((e) => e.type === "execution_interrupted");
    expect(interrupted.data).toMatchObject({ prompt_id: running, node_id: "3", node_type: "KSampler" });
    await socket.finished(running);
    await socket.finished(queued);
    const history = await getJson<Record<string, HistoryEntry>>(`${base}/history/${running}`);
    expect(history[running]?.status.status_str).toBe("error");
    expect(history[running]?.status.completed).toBe(false);
    expect(comfy.runs.find((r) => r.promptId === running)?.outcome).toBe("interrupted");
    expect(comfy.runs.find((r) => r.promptId === queued)?.outcome).toBe("success");
    socket.close();
  });
});

describe("failures and addressing", () => {
  test("failNext ends the next prompt in execution_error, recorded as an error in history", async () => {
    const socket = await ComfySocket.open(base, "client-fail");
    comfy.failNext(1, { message: "CUDA error: an illegal memory access was encountered" });
    const failed = await submit(base, { prompt: txt2img({ steps: 4 }), client_id: "client-fail" });
    const fine = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-fail" });
    await socket.finished(fine);
    const error = socket.events(failed).find((e) => e.type === "execution_error");
    expect(error?.data).toMatchObject({
      prompt_id: failed,
      node_id: "3",
      node_type: "KSampler",
      exception_message: "CUDA error: an illegal memory access was encountered",
    });
    expect(Array.isArray(error?.data.traceback)).toBe(true);
    expect(socket.events(failed).some((e) => e.type === "execution_success")).toBe(false);
    const history = await getJson<Record<string, HistoryEntry>>(`${base}/history/${failed}`);
    expect(history[failed]?.status.status_str).toBe("error");
    expect(history[failed]?.status.messages.map(([event]) => event)).toContain("execution_error");
    expect(comfy.runs.find((r) => r.promptId === failed)?.outcome).toBe("error");
    expect(comfy.runs.find((r) => r.promptId === fine)?.outcome).toBe("success");
    socket.close();
  });

  test("execution events go only to the submitting clientId; status frames go to everyone", async () => {
    const mine = await ComfySocket.open(base, "client-mine");
    const other = await ComfySocket.open(base, "client-other");
    const promptId = await submit(base, { prompt: txt2img({ steps: 3 }), client_id: "client-mine" });
    await mine.finished(promptId);
    await other.waitFor((e) => e.type === "status" && (e.data.status as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 0 && other.events().length > 2);
    expect(mine.events(promptId).length).toBeGreaterThan(5);
    expect(other.frames.filter((f) => f instanceof Uint8Array)).toEqual([]);
    expect(new Set(other.events().map((e) => e.type))).toEqual(new Set(["status"]));
    mine.close();
    other.close();
  });

  test("stalled sockets stay open but go silent while prompts still finish", async () => {
    const socket = await ComfySocket.open(base, "client-stall");
    comfy.stallSockets(true);
    try {
      const before = socket.frames.length;
      expect(before).toBeGreaterThan(0);
      const promptId = await submit(base, { prompt: txt2img({ steps: 2 }), client_id: "client-stall" });
      let history: Record<string, HistoryEntry> = {};
      while (!history[promptId]) {
        await Bun.sleep(20);
        history = await getJson<Record<string, HistoryEntry>>(`${base}/history/${promptId}`);
      }
      expect(socket.frames.length).toBe(before);
    } finally {
      comfy.stallSockets(false);
    }
    const next = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-stall" });
    await socket.finished(next);
    socket.close();
  });

  test("the /_sim controls drive the instance over HTTP", async () => {
    const socket = await ComfySocket.open(base, "client-sim");
    expect((await postJson(`${base}/_sim/fail-next`, { count: 1, message: "boom" })).status).toBe(200);
    const promptId = await submit(base, { prompt: txt2img({ steps: 2 }), client_id: "client-sim" });
    await socket.finished(promptId);
    expect(socket.events(promptId).find((e) => e.type === "execution_error")?.data.exception_message).toBe("boom");
    const sim = await getJson<{ runs: Array<{ promptId: string; outcome: string }>; submitted: string[] }>(`${base}/_sim/runs`);
    expect(sim.runs.at(-1)).toMatchObject({ promptId, outcome: "error" });
    expect(sim.submitted.at(-1)).toBe(promptId);
    socket.close();
  });

  test("/object_info and /system_stats have ComfyUI's shapes", async () => {
    const info = await getJson<Record<string, { input: { required: Record<string, unknown[]> }; output: string[]; output_node: boolean }>>(`${base}/object_info`);
    expect(info.SaveImage?.output_node).toBe(true);
    expect(info.CheckpointLoaderSimple?.output).toEqual(["MODEL", "CLIP", "VAE"]);
    expect(info.CheckpointLoaderSimple?.input.required.ckpt_name?.[0]).toContain("juggernautXL_v9.safetensors");
    const stats = await getJson<{ system: Record<string, unknown>; devices: Array<Record<string, unknown>> }>(`${base}/api/system_stats`);
    expect(typeof stats.system.comfyui_version).toBe("string");
    expect(stats.devices[0]?.type).toBe("cuda");
    expect(await getJson(`${base}/prompt`)).toEqual({ exec_info: { queue_remaining: 0 } });
  });
});

describe("instance lifecycle", () => {
  test("restart loses the queue and history but keeps the port", async () => {
    const socket = await ComfySocket.open(base, "client-restart");
    const done = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-restart" });
    await socket.finished(done);
    comfy.setStepMs(50);
    const running = await submit(base, { prompt: txt2img({ steps: 20 }), client_id: "client-restart" });
    const pending = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-restart" });
    await socket.waitFor((e) => e.type === "progress" && e.data.prompt_id === running);
    const port = comfy.port;

    await comfy.restart();
    comfy.setStepMs(5);
    expect(comfy.port).toBe(port);
    expect(await getJson(`${base}/history`)).toEqual({});
    expect(await getJson(`${base}/queue`)).toEqual({ queue_running: [], queue_pending: [] });
    expect(comfy.runs.some((r) => r.promptId === pending)).toBe(false);
    expect(comfy.runs.find((r) => r.promptId === running)?.outcome).toBeUndefined();

    const fresh = await ComfySocket.open(base, "client-restart");
    const after = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-restart" });
    await fresh.finished(after);
    fresh.close();
    socket.close();
  });

  test("down() refuses connections and up() restores the instance", async () => {
    await comfy.down();
    await expect(fetch(`${base}/system_stats`)).rejects.toThrow();
    await comfy.up();
    const stats = await getJson<{ devices: unknown[] }>(`${base}/system_stats`);
    expect(stats.devices.length).toBe(1);
    const socket = await ComfySocket.open(base, "client-up");
    const promptId = await submit(base, { prompt: txt2img({ steps: 1 }), client_id: "client-up" });
    await socket.finished(promptId);
    socket.close();
  });
});

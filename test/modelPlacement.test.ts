/**
 * Checkpoint swaps: the simulator makes a model load cost time and VRAM like a real GPU (least
 * recently used checkpoint evicted, lost on restart), and placement weighs each instance's queue
 * against the swaps a job would cause there.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chooseByModel, finishEstimate } from "../activities/modelPlacement";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";

const costs = { jobMs: 1000, swapMs: 2000, modelsInVram: 1 };

describe("placement weighs queue against swaps", () => {
  test("an instance's finish time counts every load its queue and the job cause", () => {
    expect(finishEstimate({ name: "a", ahead: [], loaded: ["x"] }, "x", costs)).toEqual({ ms: 1000, loads: 0 });
    expect(finishEstimate({ name: "a", ahead: [], loaded: ["x"] }, "y", costs)).toEqual({ ms: 3000, loads: 1 });
    // x is evicted by y, then needed again.
    expect(finishEstimate({ name: "a", ahead: ["y"], loaded: ["x"] }, "x", costs)).toEqual({ ms: 6000, loads: 2 });
    // Two fit: nothing is evicted.
    expect(finishEstimate({ name: "a", ahead: ["y"], loaded: ["x"] }, "x", { ...costs, modelsInVram: 2 })).toEqual({ ms: 4000, loads: 1 });
  });

  test("a short wait with the model loaded beats an idle instance that must swap; a long one does not", () => {
    const warmBusy = { name: "warm", ahead: ["x"], loaded: ["x"] };
    const coldIdle = { name: "cold", ahead: [], loaded: ["z"] };
    expect(chooseByModel([warmBusy, coldIdle], "x", costs)).toBe("warm");
    const warmLong = { name: "warm", ahead: Array.from({ length: 10 }, () => "x"), loaded: ["x"] };
    expect(chooseByModel([warmLong, coldIdle], "x", costs)).toBe("cold");
    // What the queue will have loaded counts, not what is loaded now.
    expect(chooseByModel([{ name: "a", ahead: ["y"], loaded: ["x"] }, { name: "b", ahead: ["x"], loaded: ["y"] }], "x", costs)).toBe("b");
  });
});

describe("the simulator's model loading", () => {
  let sim: ComfySimulator;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-models-"));
    sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 2, outputDir: dir, modelLoadMs: 300, modelsInVram: 1 });
  });
  afterAll(async () => {
    await sim?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const graph = (ckpt: string, seed: number) => ({
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ckpt } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: 64, height: 64, batch_size: 1 } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "a lighthouse", clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "blurry", clip: ["4", 1] } },
    "3": { class_type: "KSampler", inputs: { model: ["4", 0], seed, steps: 2, cfg: 7, sampler_name: "euler", scheduler: "normal", positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0], denoise: 1 } },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: "models" } },
  });
  async function run(ckpt: string, seed: number): Promise<number> {
    const inst = sim.instances[0]!;
    const res = await fetch(`${inst.url}/prompt`, { method: "POST", body: JSON.stringify({ prompt: graph(ckpt, seed) }) });
    const { prompt_id } = (await res.json()) as { prompt_id: string };
    let r;
    while (!(r = inst.runs.find((x) => x.promptId === prompt_id))?.finishedAt) await Bun.sleep(10);
    return r.finishedAt! - r.startedAt;
  }
  const vramFree = async () => ((await (await fetch(`${sim.instances[0]!.url}/system_stats`)).json()) as { devices: Array<{ vram_free: number }> }).devices[0]!.vram_free;

  test("a checkpoint not in VRAM is loaded first, the least recently used one evicted; a restart empties VRAM", async () => {
    const inst = sim.instances[0]!;
    const empty = await vramFree();
    const cold = await run("dreamshaper_8.safetensors", 1);
    const warm = await run("dreamshaper_8.safetensors", 2);
    expect(cold).toBeGreaterThanOrEqual(300);
    expect(warm).toBeLessThan(cold);
    expect(inst.loadedModels()).toEqual(["dreamshaper_8.safetensors"]);
    expect(await vramFree()).toBeLessThan(empty);
    await run("juggernautXL_v9.safetensors", 3);
    expect(inst.modelLoads.map((l) => [l.checkpoint, l.evicted])).toEqual([
      ["dreamshaper_8.safetensors", undefined],
      ["juggernautXL_v9.safetensors", "dreamshaper_8.safetensors"],
    ]);
    await inst.restart();
    expect(inst.loadedModels()).toEqual([]);
    await run("juggernautXL_v9.safetensors", 4);
    expect(inst.modelLoads).toHaveLength(3);
  });
});

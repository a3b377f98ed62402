/**
 * Placement against checkpoint swaps: a mix of 4 checkpoints over 3 simulated instances that take
 * real time to load a checkpoint (one fits in VRAM at a time). The same burst of jobs is placed by
 * round-robin, by least-loaded (shortest queue) and by darkroom's model-aware choice
 * (`chooseByModel`, fed what darkroom's records would say: each instance's queue in order and its
 * last checkpoint), submitted straight to the instances over HTTP. Reports makespan and swaps.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chooseByModel, type InstanceOutlook } from "../activities/modelPlacement";
import { startComfySimulator, type ComfySimulator } from "../simulators/comfyui";

const JOBS = Number(process.env.BENCH_PLACEMENT_JOBS ?? 36);
const STEP_MS = Number(process.env.BENCH_PLACEMENT_STEP_MS ?? 50);
const STEPS = 10;
/** A swap as long as a job's sampling: SDXL's 2–2.5 s from a warm page cache against a 4–5 s job. */
const LOAD_MS = Number(process.env.BENCH_PLACEMENT_LOAD_MS ?? STEPS * STEP_MS);
export const CHECKPOINTS = ["sd_xl_base_1.0.safetensors", "dreamshaper_8.safetensors", "juggernautXL_v9.safetensors", "realisticVision_v51.safetensors"];

function graph(ckpt: string, seed: number) {
  return {
    "4": { class_type: "CheckpointLoaderSimple", inputs: { ckpt_name: ckpt } },
    "5": { class_type: "EmptyLatentImage", inputs: { width: 64, height: 64, batch_size: 1 } },
    "6": { class_type: "CLIPTextEncode", inputs: { text: "a lighthouse at dusk", clip: ["4", 1] } },
    "7": { class_type: "CLIPTextEncode", inputs: { text: "blurry", clip: ["4", 1] } },
    "3": {
      class_type: "KSampler",
      inputs: { model: ["4", 0], seed, steps: STEPS, cfg: 7, sampler_name: "euler", scheduler: "normal", positive: ["6", 0], negative: ["7", 0], latent_image: ["5", 0], denoise: 1 },
    },
    "8": { class_type: "VAEDecode", inputs: { samples: ["3", 0], vae: ["4", 2] } },
    "9": { class_type: "SaveImage", inputs: { images: ["8", 0], filename_prefix: "bench" } },
  };
}

/** A fixed, shuffled mix (a 32-bit LCG's high bits: the same jobs in the same order for every policy). */
export function jobMix(n: number, seed = 12345): string[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return CHECKPOINTS[(x >>> 16) % CHECKPOINTS.length]!;
  });
}

type Policy = (job: number, ckpt: string, state: { queues: string[][]; last: (string | undefined)[] }) => number;

export const policies: Record<string, Policy> = {
  roundRobin: (job) => job % 3,
  leastLoaded: (_job, _ckpt, s) => s.queues.reduce((best, q, i) => (q.length < s.queues[best]!.length ? i : best), 0),
  darkroom: (_job, ckpt, s) => {
    const outlooks: InstanceOutlook[] = s.queues.map((q, i) => ({ name: String(i), ahead: q, loaded: s.last[i] ? [s.last[i]!] : [] }));
    return Number(chooseByModel(outlooks, ckpt, { jobMs: STEPS * STEP_MS, swapMs: LOAD_MS, modelsInVram: 1 }));
  },
};

async function run(policy: Policy): Promise<{ makespanMs: number; swaps: number; perInstance: number[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-bench-placement-"));
  const sim: ComfySimulator = await startComfySimulator({ instances: 3, stepMs: STEP_MS, outputDir: dir, modelLoadMs: LOAD_MS, modelsInVram: 1 });
  try {
    // Every instance starts with a different checkpoint loaded, as a pool that has been serving would.
    await Promise.all(
      sim.instances.map(async (inst, i) => {
        const res = await fetch(`${inst.url}/prompt`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: graph(CHECKPOINTS[i]!, 0) }) });
        const { prompt_id } = (await res.json()) as { prompt_id: string };
        while (!inst.runs.find((r) => r.promptId === prompt_id)?.finishedAt) await Bun.sleep(20);
      }),
    );
    const loadsBefore = sim.instances.map((i) => i.modelLoads.length);
    const state = { queues: [[], [], []] as string[][], last: sim.instances.map((i) => i.loadedModels().at(-1)) };
    const submitted: Array<{ instance: number; promptId: string }> = [];
    const t0 = performance.now();
    for (const [job, ckpt] of jobMix(JOBS).entries()) {
      const i = policy(job, ckpt, state);
      state.queues[i]!.push(ckpt);
      const res = await fetch(`${sim.instances[i]!.url}/prompt`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: graph(ckpt, job + 1) }) });
      submitted.push({ instance: i, promptId: ((await res.json()) as { prompt_id: string }).prompt_id });
    }
    const done = () => submitted.every((s) => sim.instances[s.instance]!.runs.find((r) => r.promptId === s.promptId)?.finishedAt);
    while (!done()) await Bun.sleep(20);
    const end = Math.max(...submitted.map((s) => sim.instances[s.instance]!.runs.find((r) => r.promptId === s.promptId)!.finishedAt!));
    // finishedAt is wall-clock (Date.now()); the burst started at t0 on the performance clock.
    const makespanMs = end - (Date.now() - (performance.now() - t0));
    return {
      makespanMs: Math.round(makespanMs),
      swaps: sim.instances.reduce((n, inst, i) => n + inst.modelLoads.length - loadsBefore[i]!, 0),
      perInstance: state.queues.map((q) => q.length),
    };
  } finally {
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPlacement(): Promise<object> {
  const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
  for (const [name, policy] of Object.entries(policies)) results[name] = await run(policy);
  return {
    jobs: JOBS,
    jobMs: STEPS * STEP_MS,
    swapMs: LOAD_MS,
    ...results,
    darkroomMakespanVsLeastLoaded: Math.round((1 - results.darkroom!.makespanMs / results.leastLoaded!.makespanMs) * 1000) / 10,
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchPlacement()));
  process.exit(0);
}

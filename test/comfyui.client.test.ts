/**
 * The ComfyUI activity against the ComfyUI simulator over real HTTP and websockets: the awkward
 * parts of the real protocol (stalled sockets, restarts that lose the queue, retried attempts,
 * cancellation while queued or running) and the graph templates.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CancelledFailure, ApplicationFailure } from "@temporalio/common";
import { MockActivityEnvironment } from "@temporalio/testing";
import { DefaultLogger } from "@temporalio/worker";
import type { ComfyInstance } from "../lib/config";
import { closeComfyClients, getComfyClient, type ComfyClient } from "../activities/comfyui/client";
import sharp from "sharp";
import { createComfyActivities, fetchComfyOutput, type ComfyPreview, type ComfyProgress, type GenerateOnComfyInput, type GenerateOnComfyResult } from "../activities/comfyui/generate";
import { probeInstance } from "../activities/comfyui/health";
import type { GpuStopGate } from "../activities/comfyui/interrupt";
import { BUILTIN_TEMPLATE, loadTemplate, renderTemplate } from "../activities/comfyui/template";
import { startComfySimulator } from "../simulators/comfyui";

type Simulator = Awaited<ReturnType<typeof startComfySimulator>>;

const quietLogger = new DefaultLogger("ERROR");
let dir: string;
let sim: Simulator;
let instance: ComfyInstance;
let client: ComfyClient;

const params = { prompt: "a lighthouse at dusk", negativePrompt: "blurry", seed: 42, width: 512, height: 512 };
const input = (generationId: string, template?: string): GenerateOnComfyInput => ({ generationId, template, params });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "darkroom-comfy-"));
  sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 4, outputDir: path.join(dir, "out") });
  instance = { name: "gpu0", url: sim.instances[0]!.url, concurrency: 2 };
  // The process-wide client, polling fast so the socket-less paths finish quickly.
  client = getComfyClient(instance, { pollIntervalMs: 100, unavailableAfterMs: 1500 });
});

afterEach(() => {
  const gpu = sim.instances[0]!;
  gpu.stallSockets(false);
  gpu.setStepMs(5);
  gpu.setPreviewMetadata(true);
});

afterAll(async () => {
  closeComfyClients();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the activity in a mock activity context, recording heartbeats and progress. */
function runActivity(generation: GenerateOnComfyInput, heartbeatDetails?: unknown, stopGate?: GpuStopGate) {
  const env = new MockActivityEnvironment(heartbeatDetails === undefined ? {} : { heartbeatDetails }, { logger: quietLogger });
  const heartbeats: Array<{ promptId: string; percent: number }> = [];
  const progress: ComfyProgress[] = [];
  env.on("heartbeat", (d) => heartbeats.push(d));
  const { generateOnComfy } = createComfyActivities(instance, { onProgress: (p) => void progress.push(p), stopGate });
  const result = env.run(generateOnComfy, generation) as Promise<GenerateOnComfyResult>;
  result.catch(() => undefined);
  return { env, result, heartbeats, progress };
}

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = await check();
    if (value) return value;
    await Bun.sleep(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const runsOf = (promptId: string) => sim.instances[0]!.runs.filter((run) => run.promptId === promptId);

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe("generateOnComfy", () => {
  test("generates, reports ordered progress, and the outputs can be fetched", async () => {
    const { result, progress, heartbeats } = runActivity(input("gen-ok"));
    const done = await result;

    expect(done.instance).toBe("gpu0");
    expect(done.resubmissions).toBe(0);
    expect(done.reattached).toBe(false);
    expect(done.outputs.length).toBeGreaterThan(0);
    expect(runsOf(done.promptId)).toHaveLength(1);

    const bytes = await fetchComfyOutput(instance.url, done.outputs[0]!);
    expect(bytes.byteLength).toBeGreaterThan(0);

    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.generationId === "gen-ok" && p.promptId === done.promptId)).toBe(true);
    const firstRunning = progress.findIndex((p) => p.phase === "running");
    expect(firstRunning).toBeGreaterThanOrEqual(0);
    expect(progress.slice(firstRunning).every((p) => p.phase === "running")).toBe(true);
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.at(-1)!.percent).toBe(100);
    expect(heartbeats[0]!.promptId).toBe(done.promptId);
  });

  for (const metadata of [true, false]) {
    test(`previews as event ${metadata ? "4 frames (after the feature_flags handshake)" : "1 frames (a build without feature flags)"}: each prompt gets its own, throttled, as WebPs of at most 256 px`, async () => {
      const gpu = sim.instances[0]!;
      gpu.setPreviewMetadata(metadata);
      gpu.setStepMs(60);
      const arrivals = new Map<string, Array<ComfyPreview & { at: number }>>();
      const { generateOnComfy } = createComfyActivities(instance, {
        onPreview: (p) => void arrivals.set(p.generationId, [...(arrivals.get(p.generationId) ?? []), { ...p, at: Date.now() }]),
        previewOptions: { minIntervalMs: 100, maxEdge: 256, quality: 60 },
      });
      // Two prompts at once on the one instance: it runs them one after the other, and an event 1
      // frame names no prompt, so only the socket's executing prompt tells whose it is.
      const run = (generationId: string, seed: number) => {
        const env = new MockActivityEnvironment({}, { logger: quietLogger });
        return env.run(generateOnComfy, { generationId, params: { ...params, seed, width: 768, height: 512 } }) as Promise<GenerateOnComfyResult>;
      };
      const tag = metadata ? "meta" : "legacy";
      const results = await Promise.all([run(`prev-${tag}-a`, 1000 + Number(metadata)), run(`prev-${tag}-b`, 2000 + Number(metadata))]);

      for (const done of results) {
        const [simRun] = runsOf(done.promptId);
        expect(simRun!.previews.length).toBe(4);
        expect(simRun!.previews.every((p) => p.event === (metadata ? 4 : 1))).toBe(true);
        const previews = arrivals.get(results.indexOf(done) === 0 ? `prev-${tag}-a` : `prev-${tag}-b`) ?? [];
        // Four frames over ~240 ms, at most one per 100 ms plus the last: fewer previews than frames, never none.
        expect(previews.length).toBeGreaterThanOrEqual(1);
        expect(previews.length).toBeLessThanOrEqual(4);
        expect(previews.every((p) => p.promptId === done.promptId)).toBe(true);
        // None came before its own prompt started: the other prompt's frames (sent while this one
        // waited in the queue, its follower already listening) were not credited to it.
        for (const p of previews) expect(p.at).toBeGreaterThanOrEqual(simRun!.startedAt);
        const steps = previews.map((p) => p.step);
        expect(steps).toEqual([...steps].sort((a, b) => a! - b!));
        // The picture the sampler ended on is never dropped by the throttle.
        expect(previews.at(-1)).toMatchObject({ step: 4, of: 4 });
        for (const p of previews) {
          const meta = await sharp(p.webp).metadata();
          expect(meta.format).toBe("webp");
          // The instance drew 512×341 (its preview size); the chat gets 256 wide, the same shape.
          expect([meta.width, meta.height]).toEqual([p.width, p.height]);
          expect(Math.max(p.width, p.height)).toBe(256);
        }
      }
    });
  }

  test("a stalled websocket does not stall the job: polling finishes it", async () => {
    sim.instances[0]!.stallSockets(true);
    const done = await runActivity(input("gen-stalled")).result;
    expect(done.outputs.length).toBeGreaterThan(0);
    expect(runsOf(done.promptId)).toHaveLength(1);
  });

  test("a prompt lost in an instance restart is submitted again", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(100);
    const graph = renderTemplate(await loadTemplate(), { ...params, seed: 1 });
    await client.submit(graph); // keeps the GPU busy so ours waits in the queue
    const { result, heartbeats } = runActivity(input("gen-restart"));
    const firstPromptId = (await until("submission", () => heartbeats[0]))!.promptId;
    await until("queued", async () => (await client.locate(firstPromptId)).state === "pending");

    await gpu.restart();
    gpu.setStepMs(5);
    const done = await result;

    expect(done.resubmissions).toBe(1);
    expect(done.promptId).not.toBe(firstPromptId);
    expect(done.outputs.length).toBeGreaterThan(0);
    expect(runsOf(firstPromptId).filter((run) => run.outcome === "success")).toHaveLength(0);
  });

  test("a retried attempt re-attaches to the earlier attempt's prompt instead of paying twice", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(30);
    const graph = renderTemplate(await loadTemplate(), params);
    const earlier = await client.submit(graph);
    const submittedBefore = gpu.submitted.length;

    const done = await runActivity(input("gen-retry"), { promptId: earlier.promptId, percent: 25 }).result;

    expect(done.reattached).toBe(true);
    expect(done.resubmissions).toBe(0);
    expect(done.promptId).toBe(earlier.promptId);
    expect(gpu.submitted.length).toBe(submittedBefore);
    expect(runsOf(earlier.promptId)).toHaveLength(1);
  });

  test("a rejected graph fails with a readable error naming the node and its class", async () => {
    const file = path.join(dir, "wrong-checkpoint.json");
    const graph = structuredClone((await loadTemplate()).graph);
    graph["4"]!.inputs.ckpt_name = "not_installed.safetensors";
    await writeFile(file, JSON.stringify(graph));

    const failure = await failureOf(runActivity(input("gen-rejected", file)).result);
    expect(failure.type).toBe("ComfyPromptRejected");
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain("Node 4 (CheckpointLoaderSimple)");
    expect(failure.message).toContain("not_installed.safetensors");
  });

  test("a node class the instance lacks is named, as 0.3.64 words it (invalid_prompt, not missing_node_type)", async () => {
    const graph = { ...structuredClone((await loadTemplate()).graph), "90": { class_type: "NoSuchNode", inputs: {} } };
    const rejected = await client.submit(graph).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(rejected?.name).toBe("ComfyPromptRejected");
    expect(rejected?.message).toContain("Node 90 (NoSuchNode)");
    expect(rejected?.message).toContain("not installed");
  });

  test("a graph accepted with node errors fails the job with the errors named, and is withdrawn from the instance", async () => {
    // ComfyUI answers 200 and would run only the valid outputs: here node 1's picture would be missing.
    const graph = {
      "1": { class_type: "EmptyImage", inputs: { width: "abc", height: 512, batch_size: 1, color: 16744448 } },
      "2": { class_type: "SaveImage", inputs: { images: ["1", 0], filename_prefix: "partly_valid" } },
      "3": { class_type: "SaveImage", inputs: { images: ["4", 0], filename_prefix: "partly_valid_ok" } },
      "4": { class_type: "EmptyImage", inputs: { width: 64, height: 64, batch_size: 1, color: 255 } },
    };
    const instance = sim.instances[0]!;
    const before = instance.submitted.length;
    const rejected = await client.submit(graph).then(
      () => undefined,
      (err: Error) => err,
    );
    // Without this the job would "succeed" with node 1's picture missing.
    expect(rejected?.name).toBe("ComfyPromptRejected");
    expect(rejected?.message).toContain("Node 1 (EmptyImage)");
    expect(rejected?.message).toContain("width");
    const promptId = instance.submitted.at(-1)!;
    expect(instance.submitted.length).toBe(before + 1);
    // Withdrawn: deleted from the queue, or interrupted if the idle instance had already started it
    // (a graph this small may even finish first; the job fails with the errors all the same).
    for (;;) {
      const queue = (await (await fetch(`${instance.url}/queue`)).json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
      if (![...queue.queue_running, ...queue.queue_pending].some((entry) => entry[1] === promptId)) break;
      await Bun.sleep(10);
    }
  });

  test("an execution error fails as ComfyExecutionFailed with the exception", async () => {
    sim.instances[0]!.failNext(1, { message: "CUDA out of memory" });
    const failure = await failureOf(runActivity(input("gen-exec-error")).result);
    expect(failure.type).toBe("ComfyExecutionFailed");
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain("CUDA out of memory");
  });

  test("cancelling a running job interrupts it on the instance", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(150);
    const { env, result, progress } = runActivity(input("gen-cancel-running"));
    const running = await until("running", () => progress.find((p) => p.phase === "running"));
    env.cancel();

    expect(await result.catch((e: unknown) => e)).toBeInstanceOf(CancelledFailure);
    const run = await until("the run to end", () => runsOf(running.promptId).find((r) => r.outcome !== undefined));
    expect(run.outcome).toBe("interrupted");
  });

  test("cancelling a queued job deletes it from the queue so it never runs", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(100);
    const blocker = await client.submit(renderTemplate(await loadTemplate(), { ...params, seed: 7 }));
    const { env, result, progress } = runActivity(input("gen-cancel-queued"));
    const queued = await until("queued", () => progress.find((p) => p.phase === "queued"));
    env.cancel();

    expect(await result.catch((e: unknown) => e)).toBeInstanceOf(CancelledFailure);
    expect((await client.locate(queued.promptId)).state).toBe("missing");
    await client.cancel(blocker.promptId);
    await until("the blocker to end", async () => ["finished", "missing"].includes((await client.locate(blocker.promptId)).state));
    expect(runsOf(queued.promptId)).toHaveLength(0);
  });

  test("a shutting-down worker leaves its prompt on the GPU for the next attempt to re-attach to", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(100);
    const { env, result, progress } = runActivity(input("gen-shutdown"));
    const running = await until("running", () => progress.find((p) => p.phase === "running"));
    env.cancel("WORKER_SHUTDOWN");
    expect(await result.catch((e: unknown) => e)).toBeInstanceOf(CancelledFailure);
    gpu.setStepMs(5);
    const retry = runActivity(input("gen-shutdown"), { promptId: running.promptId, percent: 0 });
    const done = await retry.result;
    expect(done).toMatchObject({ promptId: running.promptId, reattached: true });
    expect(runsOf(running.promptId).map((r) => r.outcome)).toEqual(["success"]);
  });

  test("an unreachable instance fails as ComfyInstanceUnavailable and probes unhealthy", async () => {
    const gpu = sim.instances[0]!;
    expect((await probeInstance(instance)).healthy).toBe(true);
    await gpu.down();
    try {
      const failure = await failureOf(runActivity(input("gen-down")).result);
      expect(failure.type).toBe("ComfyInstanceUnavailable");
      expect(failure.message).toContain("gpu0");
      const health = await probeInstance(instance, 500);
      expect(health.healthy).toBe(false);
      expect(health.error).toBeTruthy();
    } finally {
      await gpu.up();
    }
  });
});

describe("templates", () => {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const templateFile = async (name: string, graph: unknown) => {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(graph));
    return file;
  };

  test("the built-in graph renders numbers as numbers and text literally", async () => {
    const builtin = await loadTemplate(BUILTIN_TEMPLATE);
    const prompt = 'a "quoted" $& {{seed}} prompt';
    const graph = renderTemplate(builtin, { ...params, prompt, seed: 123, width: 832, height: 1216 });
    const byClass = (c: string) => Object.values(graph).filter((n) => n.class_type === c);
    expect(byClass("KSampler")[0]!.inputs.seed).toBe(123);
    expect(byClass("EmptyLatentImage")[0]!.inputs).toMatchObject({ width: 832, height: 1216 });
    expect(byClass("CLIPTextEncode").map((n) => n.inputs.text)).toEqual([prompt, "blurry"]);
    expect(byClass("CheckpointLoaderSimple")[0]!.inputs.ckpt_name).toBe("sd_xl_base_1.0.safetensors");
    expect(byClass("SaveImage")[0]!.inputs.filename_prefix).toBe("darkroom");
    expect(JSON.stringify(builtin.graph)).toContain("{{prompt}}"); // the cached template is untouched
  });

  test("text placeholders inside longer strings are filled in", async () => {
    const graph = structuredClone((await loadTemplate()).graph);
    graph["6"]!.inputs.text = "photo of {{prompt}}, detailed";
    const file = await templateFile("embedded.json", graph);
    const rendered = renderTemplate(await loadTemplate(file), params);
    expect(rendered["6"]!.inputs.text).toBe("photo of a lighthouse at dusk, detailed");
  });

  test("broken templates are refused with the file and node named", async () => {
    const base = (await loadTemplate()).graph;

    const noPrompt = structuredClone(base);
    noPrompt["6"]!.inputs.text = "a fixed prompt";
    const noPromptFile = await templateFile("no-prompt.json", noPrompt);
    await expect(loadTemplate(noPromptFile)).rejects.toThrow(new RegExp(`${escape(noPromptFile)}.*\\{\\{prompt\\}\\}.*node 6 \\(CLIPTextEncode\\)`));

    const dangling = structuredClone(base);
    dangling["8"]!.inputs.vae = ["99", 2];
    const danglingFile = await templateFile("dangling.json", dangling);
    await expect(loadTemplate(danglingFile)).rejects.toThrow(new RegExp(`${escape(danglingFile)}.*node 8 \\(VAEDecode\\).*node 99`));

    const noOutput = structuredClone(base);
    delete noOutput["9"];
    const noOutputFile = await templateFile("no-output.json", noOutput);
    await expect(loadTemplate(noOutputFile)).rejects.toThrow(new RegExp(`${escape(noOutputFile)}.*no output node.*node 8 \\(VAEDecode\\)`));
  });
});

/**
 * The races a cancel can lose without the stop gate: the gate here is the database's stand-in (the
 * whole-stack cancel tests use the real one); the instance is the simulator.
 */
describe("a stopped (cancelled) generation is never sent to the GPU", () => {
  function gate(initiallyStopped = false) {
    const state = { stopped: initiallyStopped, claimed: [] as string[], onClaim: () => {} };
    const g: GpuStopGate = {
      async claim(_generationId, promptId) {
        if (state.stopped) return false;
        state.claimed.push(promptId);
        state.onClaim();
        return true;
      },
      async stopped() {
        return state.stopped;
      },
      async claimedPrompt() {
        return state.claimed.at(-1);
      },
    };
    return { state, g };
  }

  test("stopped before the submit: nothing is sent", async () => {
    const gpu = sim.instances[0]!;
    const before = gpu.submitted.length;
    const { g } = gate(true);
    const failure = await failureOf(runActivity(input("gen-stopped-early"), undefined, g).result);
    expect(failure.type).toBe("GpuWorkStopped");
    expect(failure.nonRetryable).toBe(true);
    expect(gpu.submitted.length).toBe(before);
  });

  test("stopped between the claim and the submit (the stop found nothing on the instance): the prompt is taken back before it runs", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(100);
    const blocker = await client.submit(renderTemplate(await loadTemplate(), { ...params, seed: 11 }));
    const { state, g } = gate();
    state.onClaim = () => void (state.stopped = true);
    const failure = await failureOf(runActivity(input("gen-stopped-late"), undefined, g).result);
    expect(failure.type).toBe("GpuWorkStopped");
    const sent = state.claimed[0]!;
    expect(gpu.submitted).toContain(sent);
    expect((await client.locate(sent)).state).toBe("missing");
    await client.cancel(blocker.promptId);
    await until("the blocker to end", async () => ["finished", "missing"].includes((await client.locate(blocker.promptId)).state));
    expect(runsOf(sent)).toHaveLength(0);
  });

  test("deleted from the queue by a cancel: not taken for a lost prompt, not sent again", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(100);
    const blocker = await client.submit(renderTemplate(await loadTemplate(), { ...params, seed: 12 }));
    const { state, g } = gate();
    const { result, progress } = runActivity(input("gen-deleted"), undefined, g);
    const queued = await until("queued", () => progress.find((p) => p.phase === "queued"));
    const submittedBefore = gpu.submitted.length;
    // What the workflow's stop does: write the stop, then delete the queued prompt.
    state.stopped = true;
    expect(await client.cancel(queued.promptId)).toBe("deleted");
    expect((await failureOf(result)).type).toBe("GpuWorkStopped");
    expect(gpu.submitted.length).toBe(submittedBefore);
    await client.cancel(blocker.promptId);
    await until("the blocker to end", async () => ["finished", "missing"].includes((await client.locate(blocker.promptId)).state));
    expect(runsOf(queued.promptId)).toHaveLength(0);
  });

  test("a retry after a worker crash withdraws the earlier attempt's prompt and sends nothing", async () => {
    const gpu = sim.instances[0]!;
    gpu.setStepMs(100);
    const blocker = await client.submit(renderTemplate(await loadTemplate(), { ...params, seed: 13 }));
    const earlier = await client.submit(renderTemplate(await loadTemplate(), { ...params, seed: 14 }));
    const submittedBefore = gpu.submitted.length;
    const { g } = gate(true);
    const failure = await failureOf(runActivity(input("gen-retry-stopped"), { promptId: earlier.promptId, percent: 0 }, g).result);
    expect(failure.type).toBe("GpuWorkStopped");
    expect(gpu.submitted.length).toBe(submittedBefore);
    expect((await client.locate(earlier.promptId)).state).toBe("missing");
    await client.cancel(blocker.promptId);
    await until("the blocker to end", async () => ["finished", "missing"].includes((await client.locate(blocker.promptId)).state));
    expect(runsOf(earlier.promptId)).toHaveLength(0);
  });
});

describe("locating prompts: the job API where an instance has it, /queue and /history where not", () => {
  /** A client of its own on a fresh instance, recording every path it asks for. */
  async function clientOn(jobsApi: boolean) {
    const own = await startComfySimulator({ instances: 1, stepMs: 40, steps: 4, outputDir: path.join(dir, `jobs-${jobsApi}`), jobsApi });
    const paths: string[] = [];
    const recording = (url: string | URL | Request, init?: RequestInit) => {
      paths.push(new URL(String(url)).pathname);
      return fetch(url, init);
    };
    const located = getComfyClient({ name: `jobs-${jobsApi}`, url: own.instances[0]!.url, concurrency: 2 }, { fetch: recording });
    return { own, located, paths };
  }

  for (const jobsApi of [true, false]) {
    test(`${jobsApi ? "with" : "without"} the job API: running, pending, finished and missing are told apart`, async () => {
      const { own, located, paths } = await clientOn(jobsApi);
      try {
        const graph = (seed: number) => renderTemplate({ source: BUILTIN_TEMPLATE, graph: structuredClone(baseGraph) }, { ...params, seed });
        const first = await located.submit(graph(1));
        const second = await located.submit(graph(2));
        await until("the first prompt to run", async () => ((await located.locate(first.promptId)).state === "running" ? true : undefined));
        const waiting = await located.locate(second.promptId);
        expect(waiting).toMatchObject({ state: "pending", position: 1 });
        await until("the first prompt to finish", async () => ((await located.locate(first.promptId)).state === "finished" ? true : undefined));
        const finished = await located.locate(first.promptId);
        expect(finished.state === "finished" && Object.keys(finished.entry.outputs).length).toBeGreaterThan(0);
        expect((await located.locate(crypto.randomUUID())).state).toBe("missing");

        const jobReads = paths.filter((p) => p.startsWith("/api/jobs/")).length;
        const historyReads = paths.filter((p) => p.startsWith("/history/")).length;
        if (jobsApi) {
          // Read through the job API; /history is never needed.
          expect(historyReads).toBe(0);
          expect(jobReads).toBeGreaterThan(3);
        } else {
          // Asked once, then never again: the older way from then on.
          expect(jobReads).toBe(1);
          expect(historyReads).toBeGreaterThan(0);
        }
      } finally {
        located.close();
        await own.stop();
      }
    });
  }

  let baseGraph: Awaited<ReturnType<typeof loadTemplate>>["graph"];
  beforeAll(async () => {
    baseGraph = (await loadTemplate()).graph;
  });
});

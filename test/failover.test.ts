/**
 * Faults lose nothing: a GPU instance that is down, a GPU worker that never comes, and a GPU worker
 * killed (SIGKILL) in the middle of a job.
 */
import { afterEach, describe, expect, test, setDefaultTimeout } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const ROOT = path.resolve(import.meta.dir, "..");
const persona = { name: "Sofia", personality: "alegre", language: "es" };
let stack: Stack | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  await stack?.stop();
  stack = undefined;
});

async function requestPhoto(s: Stack, user: string) {
  const res = await s.request("POST", "/v1/agents/sofia/replies", { userId: user, text: "[IMAGE: selfie en la playa]", persona });
  expect(res.status).toBe(200);
  return res.body.generations[0].id as string;
}

async function finished(s: Stack, id: string) {
  return eventually(async () => {
    const g = (await s.request("GET", `/v1/generations/${id}`)).body;
    return ["completed", "failed", "cancelled"].includes(g?.status) ? g : undefined;
  }, `generation ${id} to finish`, 90_000);
}

/** A GPU worker as its own OS process, exactly as production runs it: `./darkroom worker --gpu NAME`. */
function spawnGpuWorker(s: Stack, name: string): ChildProcess {
  const child = spawn(process.execPath, ["cli/darkroom.ts", "worker", "--gpu", name], {
    cwd: ROOT,
    env: { ...process.env, ...s.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.on("data", (d) => process.env.DEBUG_WORKERS && process.stderr.write(d));
  children.push(child);
  return child;
}

describe("failover", () => {
  test("an instance that is down is skipped: another one makes the photo", async () => {
    stack = await startStack({ instances: 2 });
    await stack.sim.instances[0]!.down();
    const done = await finished(stack, await requestPhoto(stack, "down-1"));
    expect(done.status).toBe("completed");
    expect(done.instance).toBe(stack.instanceNames[1]);
    expect(stack.sim.instances[0]!.runs).toHaveLength(0);
  });

  test("an instance whose worker is gone does not strand the job", async () => {
    // Both instances are healthy, but only the second one has a worker polling its queue.
    stack = await startStack({ instances: 2, gpuWorkers: [] });
    spawnGpuWorker(stack, stack.instanceNames[1]!);
    const done = await finished(stack, await requestPhoto(stack, "noworker-1"));
    expect(done.status).toBe("completed");
    expect(done.instance).toBe(stack.instanceNames[1]);
  });

  test("one GPU worker process serves two instances (--gpu a,b): each instance gets jobs", async () => {
    stack = await startStack({ instances: 2, gpuWorkers: [], env: { MAX_CONCURRENT_GENERATIONS: "100" } });
    spawnGpuWorker(stack, stack.instanceNames.join(","));
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => requestPhoto(stack!, `pair-${i}`)));
    const done = await Promise.all(ids.map((id) => finished(stack!, id)));
    expect(done.map((g) => g.status)).toEqual(Array(6).fill("completed"));
    expect(new Set(done.map((g) => g.instance))).toEqual(new Set(stack.instanceNames));
    for (const instance of stack.sim.instances) expect(instance.runs.length).toBeGreaterThan(0);
  });

  test("a deep backlog on live instances is waited for, not failed over: no job changes instance or runs twice", async () => {
    // One prompt at a time per instance, about 0.6 s each, and a 1 s pickup timeout: the fourth job
    // in an instance's queue waits ~1.8 s. The pickup timeout scales with the jobs ahead of it.
    stack = await startStack({ instances: 2, stepMs: 150, steps: 4, instanceConcurrency: 1, env: { COMFYUI_PICKUP_TIMEOUT_MS: "1000", MAX_CONCURRENT_GENERATIONS: "100" } });
    // A few jobs on each instance first, so its job time is measured (from three finished jobs)
    // rather than assumed.
    const warm = await Promise.all(Array.from({ length: 8 }, (_, i) => requestPhoto(stack!, `warm-${i}`)));
    await Promise.all(warm.map((id) => finished(stack!, id)));
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => requestPhoto(stack!, `deep-${i}`)));
    const done = await Promise.all(ids.map((id) => finished(stack!, id)));
    expect(done.map((g) => g.status)).toEqual(Array(8).fill("completed"));
    // Each prompt ran once, and every job stayed on the instance it was placed on.
    const runs = stack.sim.instances.flatMap((i) => i.runs);
    expect(runs).toHaveLength(16);
    let timedOut = 0;
    for (const id of ids) {
      const history = await stack.running.temporal.workflow.getHandle(done.find((g) => g.id === id)!.workflowId).fetchHistory();
      const queues = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === "generateOnComfy").map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name);
      expect(new Set(queues).size).toBe(1);
      timedOut += history.events!.filter((e) => e.activityTaskTimedOutEventAttributes).length;
    }
    // The pickup timeout grew with the queue: with the 1 s floor alone, the third and fourth job in
    // each queue (1.2 s and 1.8 s of wait) would time out. A loaded machine can still outrun the
    // estimate now and then; such a job waits again on the same instance (checked above).
    expect(timedOut).toBeLessThan(ids.length / 2);
  });

  test("jobs slower than the instance's recent ones are waited for in its queue, not moved to another live instance", async () => {
    // Fast jobs first, so the instances' measured job time is short; then every job takes ~1.2 s, and
    // the later jobs in each queue wait well past their estimated pickup (at least 1 s).
    stack = await startStack({ instances: 2, stepMs: 20, steps: 4, instanceConcurrency: 1, env: { COMFYUI_PICKUP_TIMEOUT_MS: "1000", MAX_CONCURRENT_GENERATIONS: "100" } });
    const warm = await Promise.all(Array.from({ length: 8 }, (_, i) => requestPhoto(stack!, `quick-${i}`)));
    await Promise.all(warm.map((id) => finished(stack!, id)));
    // Placement caches an instance's job time for 5 s, and the warm-up's first picks cached "not
    // measured yet" (a long default): wait until the measured time replaces it.
    await Bun.sleep(5500);
    for (const instance of stack.sim.instances) instance.setStepMs(300);
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => requestPhoto(stack!, `slow-${i}`)));
    const done = await Promise.all(ids.map((id) => finished(stack!, id)));
    expect(done.map((g) => g.status)).toEqual(Array(8).fill("completed"));
    // Each prompt ran once; a job whose pickup timed out was sent to the same instance again.
    expect(stack.sim.instances.flatMap((i) => i.runs)).toHaveLength(16);
    let timedOut = 0;
    for (const g of done) {
      const history = await stack.running.temporal.workflow.getHandle(g.workflowId).fetchHistory();
      const queues = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === "generateOnComfy").map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name);
      expect(new Set(queues).size).toBe(1);
      expect(queues[0]).toContain(g.instance);
      timedOut += history.events!.filter((e) => e.activityTaskTimedOutEventAttributes).length;
    }
    // The case at hand did happen: some jobs outwaited their pickup estimate.
    expect(timedOut).toBeGreaterThan(0);
  });

  test("a GPU worker killed mid-generation: the job completes without a second GPU run", async () => {
    stack = await startStack({ instances: 1, gpuWorkers: [], stepMs: 400, steps: 10 });
    const sim = stack.sim.instances[0]!;
    const name = stack.instanceNames[0]!;
    const first = spawnGpuWorker(stack, name);
    const id = await requestPhoto(stack, "kill-1");
    await eventually(async () => (sim.runs.length === 1 && !sim.runs[0]!.finishedAt ? true : undefined), "the prompt to start on the GPU");
    first.kill("SIGKILL");
    spawnGpuWorker(stack, name);
    const done = await finished(stack, id);
    expect(done.status).toBe("completed");
    expect(sim.submitted).toHaveLength(1);
    expect(sim.runs).toHaveLength(1);
    expect(sim.runs[0]!.outcome).toBe("success");
  });
});

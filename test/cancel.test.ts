/**
 * Cancel means the GPU never spends a step on the photo, in whatever state the cancel finds it:
 * waiting for the user's slot, picked but not yet sent to its instance, queued on the instance,
 * running — and a GPU worker restart does not bring it back. Everything is asserted from the
 * instance's side (what it accepted and what it ran), on the whole stack: real Temporal, API,
 * workers and the ComfyUI simulator.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { start, type Running } from "../cli/runtime";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

// Step times below are long enough that the photo ahead is still on the GPU when the cancel lands
// (a slow machine only makes the tests slower); each test sets them back to 5 ms.

const persona = { name: "Sofia", personality: "alegre", language: "es" };
let stack: Stack;
/** The instance's GPU worker, as its own role so a test can stop and restart it. */
let gpuRole: Running | undefined;

beforeAll(async () => {
  stack = await startStack({
    instances: 1,
    gpuWorkers: [],
    stepMs: 5,
    steps: 4,
    // One photo per user at a time; a job nobody picks up waits (there is no other instance to fail over to).
    env: { MAX_CONCURRENT_GENERATIONS: "1", COMFYUI_PICKUP_TIMEOUT_MS: "120000" },
  });
  await startGpuWorker();
});
afterAll(async () => {
  await gpuRole?.stop();
  await stack?.stop();
});

async function startGpuWorker() {
  gpuRole = await start(stack.config, { gpu: [stack.instanceNames[0]!] }, { db: stack.db });
}

async function stopGpuWorker() {
  await gpuRole?.stop();
  gpuRole = undefined;
}

const sim = () => stack.sim.instances[0]!;
const row = (id: string) => stack.db.prisma.generation.findUniqueOrThrow({ where: { id } });

async function requestPhoto(user: string, what = "selfie en la playa"): Promise<string> {
  const res = await stack.request("POST", "/v1/agents/sofia/replies", { userId: user, text: `[IMAGE: ${what}]`, persona });
  expect(res.status).toBe(200);
  return res.body.generations[0].id;
}

async function cancel(id: string) {
  expect((await stack.request("POST", `/v1/generations/${id}/cancel`)).status).toBe(202);
  const g = await untilStatus(id, ["cancelled", "completed", "failed"]);
  expect(g.status).toBe("cancelled");
}

function untilStatus(id: string, statuses: string[]) {
  return eventually(async () => {
    const g = await row(id);
    return statuses.includes(g.status) ? g : undefined;
  }, `generation ${id} to become ${statuses.join("/")}`);
}

async function completed(id: string) {
  const g = await untilStatus(id, ["completed", "failed", "cancelled"]);
  expect(g.status).toBe("completed");
  return g;
}

/** The photo's prompt is running on the instance. */
async function running(id: string): Promise<string> {
  return eventually(async () => {
    const { requestId } = await row(id);
    return requestId && sim().runs.some((r) => r.promptId === requestId && !r.finishedAt) ? requestId : undefined;
  }, `generation ${id} to run on the GPU`);
}

/** The photo's prompt waits in the instance's own queue. */
async function queuedOnInstance(id: string): Promise<string> {
  return eventually(async () => {
    const g = await row(id);
    return g.requestId && (g.queuePosition ?? 0) > 0 && sim().submitted.includes(g.requestId) ? g.requestId : undefined;
  }, `generation ${id} to wait in the instance's queue`);
}

/**
 * Every GPU activity has ended: nothing can submit anything any more. Waiting for this, rather than
 * for some time, is what makes "no new prompt appeared afterwards" a real observation.
 */
function gpuIdle() {
  return eventually(async () => (gpuRole && gpuRole.workers.every((w) => w.getStatus().numInFlightActivities === 0) ? true : undefined), "the GPU worker to have no job in flight");
}

/** From the instance's side, since `mark`: which prompts it accepted and which it ran, in order. */
function since(mark: { submitted: number; runs: number }) {
  return { submitted: sim().submitted.slice(mark.submitted), ran: sim().runs.slice(mark.runs).map((r) => r.promptId) };
}
const markNow = () => ({ submitted: sim().submitted.length, runs: sim().runs.length });

describe("cancel frees the GPU", () => {
  test("while waiting for the user's slot: never sent; the user's next photo runs when the slot frees", async () => {
    sim().setStepMs(1000);
    try {
      const mark = markNow();
      const first = await requestPhoto("slot-user", "primera foto");
      const firstPrompt = await running(first);
      const second = await requestPhoto("slot-user", "segunda foto");
      await eventually(async () => ((await row(second)).queuePosition === 1 ? true : undefined), "the second photo to wait for the slot");
      await cancel(second);
      sim().setStepMs(5);
      const third = await requestPhoto("slot-user", "tercera foto");
      await completed(first);
      const thirdPrompt = (await completed(third)).requestId!;
      await gpuIdle();
      expect((await row(second)).requestId).toBeNull();
      expect(since(mark)).toEqual({ submitted: [firstPrompt, thirdPrompt], ran: [firstPrompt, thirdPrompt] });
    } finally {
      sim().setStepMs(5);
    }
  });

  test("cancelled the moment it was asked for, maybe while its admission runs: the user's slot comes back", async () => {
    // Slow steps, so the cancel surely comes before the picture; three times, so it lands at
    // different points of the first step (records, slot, pick).
    sim().setStepMs(200);
    try {
      for (let i = 0; i < 3; i++) {
        const first = await requestPhoto(`instant-${i}`, "una foto");
        await cancel(first);
        // With one slot per user, a slot the cancelled photo kept would leave this one queued for ever.
        await completed(await requestPhoto(`instant-${i}`, "otra foto"));
      }
    } finally {
      sim().setStepMs(5);
    }
  });

  test("picked but not yet sent (the instance's worker is away): never sent, not even once the worker is back", async () => {
    await stopGpuWorker();
    try {
      const mark = markNow();
      const id = await requestPhoto("picked-user");
      // Instance chosen and recorded, the job waits on the instance's task queue.
      await eventually(async () => {
        const g = await row(id);
        return g.status === "generating" && g.instance === stack.instanceNames[0] ? true : undefined;
      }, "the photo to be placed on the instance");
      await cancel(id);
      await startGpuWorker();
      const next = await requestPhoto("picked-next");
      const nextPrompt = (await completed(next)).requestId!;
      await gpuIdle();
      expect((await row(id)).requestId).toBeNull();
      expect(since(mark)).toEqual({ submitted: [nextPrompt], ran: [nextPrompt] });
    } finally {
      if (!gpuRole) await startGpuWorker();
    }
  });

  test("queued on the instance: deleted, never sent again, and the photo behind it runs next", async () => {
    sim().setStepMs(1500);
    try {
      const first = await requestPhoto("queued-a");
      const firstPrompt = await running(first);
      const mark = { submitted: sim().submitted.indexOf(firstPrompt), runs: sim().runs.findIndex((r) => r.promptId === firstPrompt) };
      const cancelled = await requestPhoto("queued-b");
      const cancelledPrompt = await queuedOnInstance(cancelled);
      await cancel(cancelled);
      sim().setStepMs(5);
      const next = await requestPhoto("queued-c");
      await completed(first);
      const nextPrompt = (await completed(next)).requestId!;
      await gpuIdle();
      expect(since(mark)).toEqual({ submitted: [firstPrompt, cancelledPrompt, nextPrompt], ran: [firstPrompt, nextPrompt] });
    } finally {
      sim().setStepMs(5);
    }
  });

  test("running: only that prompt is interrupted, it is not sent again, and the queued photo behind it starts", async () => {
    sim().setStepMs(1500);
    try {
      const id = await requestPhoto("running-a");
      const prompt = await running(id);
      const mark = { submitted: sim().submitted.indexOf(prompt), runs: sim().runs.findIndex((r) => r.promptId === prompt) };
      const next = await requestPhoto("running-b");
      const nextQueued = await queuedOnInstance(next);
      await cancel(id);
      sim().setStepMs(5);
      const nextPrompt = (await completed(next)).requestId!;
      expect(nextPrompt).toBe(nextQueued);
      await gpuIdle();
      expect(since(mark)).toEqual({ submitted: [prompt, nextPrompt], ran: [prompt, nextPrompt] });
      const run = sim().runs.find((r) => r.promptId === prompt)!;
      expect(run.outcome).toBe("interrupted");
      expect(run.steps).toBeLessThan(4);
      expect(sim().runs.find((r) => r.promptId === nextPrompt)!.outcome).toBe("success");
    } finally {
      sim().setStepMs(5);
    }
  });

  test("a GPU worker restart neither undoes a cancel nor stops the photo that kept running", async () => {
    sim().setStepMs(2500);
    try {
      const first = await requestPhoto("restart-a");
      const firstPrompt = await running(first);
      const mark = { submitted: sim().submitted.indexOf(firstPrompt), runs: sim().runs.findIndex((r) => r.promptId === firstPrompt) };
      const cancelled = await requestPhoto("restart-b");
      const cancelledPrompt = await queuedOnInstance(cancelled);
      // The worker goes away (a deploy): both prompts stay on the instance, followed by nobody.
      await stopGpuWorker();
      await cancel(cancelled);
      await startGpuWorker();
      sim().setStepMs(5);
      const next = await requestPhoto("restart-c");
      // The running photo's retry re-attaches to its prompt: finished once, not run again.
      expect((await completed(first)).requestId).toBe(firstPrompt);
      const nextPrompt = (await completed(next)).requestId!;
      await gpuIdle();
      expect(since(mark)).toEqual({ submitted: [firstPrompt, cancelledPrompt, nextPrompt], ran: [firstPrompt, nextPrompt] });
      expect(sim().runs.find((r) => r.promptId === firstPrompt)!.outcome).toBe("success");
    } finally {
      sim().setStepMs(5);
      if (!gpuRole) await startGpuWorker();
    }
  });
});

/**
 * Operators' controls on real parts: cancel and retry through the API and through Temporal itself
 * (what the Web UI does), the pool's rotation, /metrics and /readyz.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Connection } from "@temporalio/client";
import pg from "pg";
import { createGenerationActivities } from "../activities/db/generations";
import { createImageStoreActivities } from "../activities/storeImages";
import { createInstancePool, finishFromRecords } from "../activities/instancePool";
import { startComfySimulator } from "../simulators/comfyui";
import type { ApiContext } from "../api/context";
import { operationRoutes } from "../api/operations";
import type { GenerationStatus } from "../domain/generation";
import type { ServiceDeps } from "../service";
import { operationsService } from "../service/operations";
import { freePort } from "../lib/temporal/devServer";
import { temporalAnswers } from "../lib/temporal/health";
import { eventually, startStack, type Stack } from "./support/stack";

// Real servers (Temporal, PostgreSQL, simulators) start cold; `bun test` alone defaults to 5 s.
setDefaultTimeout(180_000);

const persona = { name: "Sofia", personality: "alegre", language: "es" };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ instances: 2, stepMs: 5, steps: 4, env: { MAX_CONCURRENT_GENERATIONS: "1", METRICS_INSTANCE_SAMPLE_MS: "100" } });
});
afterAll(() => stack?.stop());

async function requestPhoto(user: string, what = "selfie en la playa"): Promise<string> {
  const res = await stack.request("POST", "/v1/agents/sofia/replies", { userId: user, text: `[IMAGE: ${what}]`, persona });
  expect(res.status).toBe(200);
  return res.body.generations[0].id;
}

const row = (id: string) => stack.db.prisma.generation.findUniqueOrThrow({ where: { id } });

/** The record-keeping activities, called straight from the test (template messages, fake image URLs). */
function recordActivities() {
  return createGenerationActivities({
    prisma: stack.db.prisma,
    composeMessage: async (input) => ({ content: `${input.kind} message`, source: "template", language: input.language }),
    imageUrls: (imageId) => ({ url: `https://img/${imageId}`, thumbnailUrl: `https://img/${imageId}?variant=thumb` }),
  });
}

/** A companion photo's first records, for generations written straight through the activities. */
function photoRecord(generationId: string, userId: string, description: string) {
  return {
    generationId,
    tenantId: stack.tenant,
    kind: "companion_photo" as const,
    agentId: "sofia",
    userId,
    description,
    persona,
    language: "es" as const,
    width: 64,
    height: 64,
    workflowId: `darkroom/companion_photo/${generationId}`,
  };
}

function untilStatus(id: string, statuses: string[]) {
  return eventually(async () => {
    const g = await row(id);
    return statuses.includes(g.status) ? g : undefined;
  }, `generation ${id} to become ${statuses.join("/")}`);
}

async function eventTypes(id: string): Promise<Record<string, number>> {
  const events = await stack.db.prisma.event.findMany({ where: { generationId: id } });
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

async function instances() {
  const res = await stack.request("GET", "/v1/instances");
  expect(res.status).toBe(200);
  return res.body.instances as Array<{ name: string; taskQueue: string; healthy: boolean; inFlight: number; queued: number }>;
}

const ranPrompt = (promptId: string) => stack.sim.instances.some((i) => i.runs.some((r) => r.promptId === promptId));
const submittedAnywhere = () => stack.sim.instances.reduce((n, i) => n + i.submitted.length, 0);

describe("cancel", () => {
  test("while waiting for the user's slot: dequeued before any GPU sees it", async () => {
    stack.sim.instances.forEach((i) => i.setStepMs(150));
    try {
      const first = await requestPhoto("slot-user", "primera foto");
      const second = await requestPhoto("slot-user", "segunda foto");
      // The prompt id is recorded just before the submit; wait for the instance to have it.
      await eventually(async () => {
        const promptId = (await row(first)).requestId;
        return promptId && stack.sim.instances.some((i) => i.submitted.includes(promptId)) ? true : undefined;
      }, "the first photo to reach its GPU");
      await eventually(async () => ((await row(second)).queuePosition === 1 ? true : undefined), "the second photo to wait for the slot");
      const submittedBefore = submittedAnywhere();
      expect((await stack.request("POST", `/v1/generations/${second}/cancel`)).status).toBe(202);
      const cancelled = await untilStatus(second, ["cancelled"]);
      expect(cancelled.requestId).toBeNull();
      expect(cancelled.instance).toBeNull();
      expect((await eventTypes(second))["image:cancelled"]).toBe(1);
      expect((await untilStatus(first, ["completed", "failed"])).status).toBe("completed");
      expect(submittedAnywhere()).toBe(submittedBefore); // the first one was already on its GPU
    } finally {
      stack.sim.instances.forEach((i) => i.setStepMs(5));
    }
  });

  test("a down instance leaves rotation; a prompt pending in the instance queue is deleted; a running one interrupted", async () => {
    const [gpu0, gpu1] = stack.sim.instances;
    const [name0, name1] = stack.instanceNames as [string, string];
    await gpu1!.down();
    gpu0!.setStepMs(1500);
    try {
      await eventually(async () => ((await instances()).find((i) => i.name === name1)?.healthy === false ? true : undefined), "gpu1 to be unhealthy");
      const listed = await instances();
      expect(listed.map((i) => i.taskQueue)).toEqual(stack.instanceNames.map((n) => `comfy.${n}`));

      const running = await requestPhoto("queue-a");
      await eventually(async () => (gpu0!.runs.some((r) => !r.finishedAt) ? true : undefined), "the first prompt to run on gpu0");
      // gpu0 is busy and gpu1 idle but down: the next job still goes to gpu0 and waits in its queue.
      const pending = await requestPhoto("queue-b");
      const queued = await eventually(async () => {
        const g = await row(pending);
        return g.requestId && (g.queuePosition ?? 0) > 0 ? g : undefined;
      }, "the second prompt to wait in gpu0's queue");
      expect(queued.instance).toBe(name0);
      const pool = await eventually(async () => {
        const list = await instances();
        const i0 = list.find((i) => i.name === name0)!;
        return i0.inFlight === 1 && i0.queued === 1 ? list : undefined;
      }, "gpu0 to show one in flight and one queued");
      expect(pool.find((i) => i.name === name1)).toMatchObject({ healthy: false, inFlight: 0, queued: 0 });

      expect((await stack.request("POST", `/v1/generations/${pending}/cancel`)).status).toBe(202);
      await untilStatus(pending, ["cancelled"]);
      expect(gpu0!.submitted).toContain(queued.requestId!);
      await eventually(async () => ((await instances()).find((i) => i.name === name0)!.queued === 0 ? true : undefined), "gpu0's queue to empty");
      expect(ranPrompt(queued.requestId!)).toBe(false);

      // Back up: healthy again and back in rotation (gpu0 is busy, so the next job goes to gpu1).
      await gpu1!.up();
      await eventually(async () => ((await instances()).find((i) => i.name === name1)?.healthy ? true : undefined), "gpu1 to be healthy again");
      const elsewhere = await requestPhoto("queue-c");
      expect((await untilStatus(elsewhere, ["completed", "failed"])).instance).toBe(name1);

      // The API's cancel of the running one interrupts it on the GPU.
      const runningRow = await row(running);
      expect((await stack.request("POST", `/v1/generations/${running}/cancel`)).status).toBe(202);
      await untilStatus(running, ["cancelled"]);
      const run = await eventually(async () => {
        const r = gpu0!.runs.find((x) => x.promptId === runningRow.requestId);
        return r?.outcome ? r : undefined;
      }, "the interrupted run to end");
      expect(run.outcome).toBe("interrupted");
    } finally {
      gpu0!.setStepMs(5);
      await gpu1!.up();
    }
  });

  test("from the Web UI (a plain workflow cancel): the database, the GPU and the client all learn of it", async () => {
    stack.sim.instances.forEach((i) => i.setStepMs(300));
    try {
      const id = await requestPhoto("webui-cancel");
      const g = await eventually(async () => {
        const r = await row(id);
        return r.status === "generating" && r.progressPercent > 0 ? r : undefined;
      }, "generation under way");
      const events = fetch(`${stack.api}/v1/generations/${id}/events`, { headers: { authorization: `Bearer ${stack.key}` } }).then((r) => r.text());
      await stack.running.temporal.workflow.getHandle(g.workflowId).cancel();

      expect((await untilStatus(id, ["cancelled", "completed", "failed"])).status).toBe("cancelled");
      const sim = stack.sim.instances[stack.instanceNames.indexOf(g.instance!)]!;
      const run = await eventually(async () => {
        const r = sim.runs.find((x) => x.promptId === g.requestId);
        return r?.outcome ? r : undefined;
      }, "the GPU run to stop");
      expect(run.outcome).toBe("interrupted");
      expect((await eventTypes(id))["image:cancelled"]).toBe(1);
      // The SSE stream the client holds ends with the cancellation.
      expect([...(await events).matchAll(/^event: (.+)$/gm)].map((m) => m[1]).at(-1)).toBe("image:cancelled");
      // The record and the event come first; the run closes right after (it still gives back the slot).
      const described = await eventually(async () => {
        const d = await stack.running.temporal.workflow.getHandle(g.workflowId).describe();
        return d.status.name === "RUNNING" ? undefined : d;
      }, "the workflow run to close");
      expect(described.status.name).toBe("CANCELLED");
      expect(described.searchAttributes.DarkroomStatus).toEqual(["cancelled"]);

      // The API's retry then runs it again under the same id, once.
      stack.sim.instances.forEach((i) => i.setStepMs(5));
      expect((await stack.request("POST", `/v1/generations/${id}/retry`)).status).toBe(202);
      expect((await untilStatus(id, ["completed", "failed", "cancelled"])).status).toBe("completed");
      expect(await stack.db.prisma.message.count({ where: { generationId: id, kind: "completed" } })).toBe(1);
      expect(await stack.db.prisma.image.count({ where: { generationId: id } })).toBe(1);
    } finally {
      stack.sim.instances.forEach((i) => i.setStepMs(5));
    }
  });

  test("REST, WebSocket and a Temporal cancel are one cancel: the same end state whichever way it came", async () => {
    stack.sim.instances.forEach((i) => i.setStepMs(300));
    const socket = new WebSocket(`${stack.api.replace(/^http/, "ws")}/v1/ws?token=${stack.key}`);
    const replies: Array<Record<string, unknown>> = [];
    socket.onmessage = (m) => replies.push(JSON.parse(String(m.data)));
    await eventually(async () => (replies.some((r) => r.type === "auth:ok") ? true : undefined), "the socket to authenticate");
    const ways: Record<string, (id: string, workflowId: string) => Promise<void>> = {
      rest: async (id) => void expect((await stack.request("POST", `/v1/generations/${id}/cancel`)).status).toBe(202),
      websocket: async (id) => {
        socket.send(JSON.stringify({ type: "generation:cancel", id }));
        await eventually(async () => (replies.some((r) => r.type === "generation:cancel" && r.id === id && r.status === "cancelling") ? true : undefined), "the socket's answer");
      },
      temporal: async (_, workflowId) => void (await stack.running.temporal.workflow.getHandle(workflowId).cancel()),
    };
    try {
      const ends: Record<string, unknown> = {};
      for (const [way, cancel] of Object.entries(ways)) {
        const submittedBefore = submittedAnywhere();
        const id = await requestPhoto(`one-cancel-${way}`);
        const g = await eventually(async () => {
          const r = await row(id);
          return r.status === "generating" && r.progressPercent > 0 ? r : undefined;
        }, `the ${way} photo under way`);
        await cancel(id, g.workflowId);
        const end = await untilStatus(id, ["cancelled", "completed", "failed"]);
        const sim = stack.sim.instances[stack.instanceNames.indexOf(g.instance!)]!;
        const run = await eventually(async () => sim.runs.find((x) => x.promptId === g.requestId && x.outcome), "the GPU run to stop");
        const handle = stack.running.temporal.workflow.getHandle(g.workflowId);
        // Search attributes reach the describe answer a moment after the run closes (visibility).
        const described = await eventually(async () => {
          const d = await handle.describe();
          return d.status.name !== "RUNNING" && d.searchAttributes.DarkroomStatus?.[0] !== "generating" ? d : undefined;
        }, "the workflow to close and its search status to settle");
        ends[way] = {
          record: end.status,
          cancelledEvents: (await eventTypes(id))["image:cancelled"],
          gpu: run!.outcome,
          workflow: described.status.name,
          searchStatus: described.searchAttributes.DarkroomStatus,
          // One prompt went to a GPU for it, and none again after the cancel.
          promptsSubmitted: submittedAnywhere() - submittedBefore,
        };
      }
      const expected = { record: "cancelled", cancelledEvents: 1, gpu: "interrupted", workflow: "CANCELLED", searchStatus: ["cancelled"], promptsSubmitted: 1 };
      expect(ends).toEqual({ rest: expected, websocket: expected, temporal: expected });

      // Refusals read the same on both transports: a finished one is "already cancelled", an unknown id is not found.
      const finishedId = (await stack.db.prisma.generation.findFirstOrThrow({ where: { userId: "one-cancel-rest" } })).id;
      const rest = await stack.request("POST", `/v1/generations/${finishedId}/cancel`);
      expect(rest.status).toBe(409);
      socket.send(JSON.stringify({ type: "generation:cancel", id: finishedId }));
      socket.send(JSON.stringify({ type: "generation:cancel", id: "no-such-generation" }));
      const errors = await eventually(async () => {
        const e = replies.filter((r) => r.type === "error" && r.code === "cancel_failed");
        return e.length >= 2 ? e : undefined;
      }, "both refusals on the socket");
      expect(errors.find((e) => e.id === finishedId)!.message).toBe(rest.body.error.message);
      expect(errors.find((e) => e.id === "no-such-generation")!.message).toBe('Generation "no-such-generation" was not found');
    } finally {
      socket.close();
      stack.sim.instances.forEach((i) => i.setStepMs(5));
    }
  });

  test("after completion: 409 for cancel and for retry", async () => {
    const id = await requestPhoto("done-user");
    await untilStatus(id, ["completed"]);
    const cancel = await stack.request("POST", `/v1/generations/${id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe("already_finished");
    expect((await stack.request("POST", `/v1/generations/${id}/retry`)).status).toBe(409);
  });
});

describe("retry and reset", () => {
  test("a Web UI reset of a failed workflow completes it once", async () => {
    await stack.sim.instances[1]!.down();
    stack.sim.instances[0]!.failNext(1, { message: "CUDA out of memory" });
    let id: string;
    try {
      id = await requestPhoto("reset-user");
      expect((await untilStatus(id, ["failed", "completed"])).status).toBe("failed");
    } finally {
      await stack.sim.instances[1]!.up();
    }
    const handle = stack.running.temporal.workflow.getHandle((await row(id)).workflowId);
    await handle.result();
    const failedRun = (await handle.describe()).runId;
    const history = await handle.fetchHistory();
    const firstTaskDone = history.events!.find((e) => e.workflowTaskCompletedEventAttributes)!;

    // What the Web UI's "Reset → first workflow task" sends.
    await stack.running.temporal.workflowService.resetWorkflowExecution({
      namespace: stack.config.temporal.namespace,
      workflowExecution: { workflowId: handle.workflowId, runId: failedRun },
      workflowTaskFinishEventId: firstTaskDone.eventId,
      reason: "operator retry",
      requestId: crypto.randomUUID(),
    });
    const done = await untilStatus(id!, ["completed"]);
    expect(done.errorMessage).toBeNull();
    expect((await handle.describe()).runId).not.toBe(failedRun);

    const kinds = (await stack.db.prisma.message.findMany({ where: { generationId: id! } })).map((m) => m.kind).sort();
    expect(kinds).toEqual(["completed", "failed", "waiting"]);
    expect(await stack.db.prisma.image.count({ where: { generationId: id! } })).toBe(1);
    const { "image:progress": _progress, "image:preview": _preview, ...once } = await eventTypes(id!);
    expect(once).toEqual({ "message:new": 1, "image:queued": 1, "image:failed": 1, "image:completed": 1 });
  });

  test("activities run again after a crash write their side effect once", async () => {
    const generations = recordActivities();
    const id = await requestPhoto("rerun-user");
    const completed = await untilStatus(id, ["completed"]);

    // The completion, written already, is what a rerun returns; concurrent reruns add nothing.
    const images = await stack.db.prisma.image.findMany({ where: { generationId: id } });
    const reruns = await Promise.all([1, 2, 3].map(() => generations.completeGeneration({ generationId: id, imageIds: images.map((i) => i.id), gpuMs: 1 })));
    expect(new Set(reruns.map((m) => m.id))).toEqual(new Set([completed.completedMessageId!]));
    expect((await generations.failGeneration({ generationId: id, error: "late failure" })).id).toBe(completed.completedMessageId!);
    await generations.cancelGeneration({ generationId: id });
    expect(await stack.db.prisma.message.count({ where: { generationId: id, kind: { in: ["completed", "failed"] } } })).toBe(1);
    expect(await eventTypes(id)).toMatchObject({ "image:completed": 1 });
    expect((await eventTypes(id))["image:cancelled"]).toBeUndefined();
    expect((await row(id)).status).toBe("completed");

    // Storing again finds the stored image, even though the instance no longer has the output.
    const store = createImageStoreActivities({
      prisma: stack.db.prisma,
      store: {
        put: () => Promise.reject(new Error("nothing is stored twice")),
        get: async () => null,
        has: async () => true,
        delete: async () => undefined,
      },
      instances: stack.config.comfy.instances,
      imaging: stack.config.image,
    });
    const again = await store.storeImages({
      generationId: id,
      tenantId: completed.tenantId,
      instance: completed.instance!,
      outputs: [{ filename: "gone-after-a-restart.png", subfolder: "", type: "output" }],
      seed: 1,
    });
    expect(again.map((i) => i.id)).toEqual(images.map((i) => i.id));
    expect(await stack.db.prisma.image.count({ where: { generationId: id } })).toBe(1);

    // Two concurrent completions of a fresh generation: one message, one event.
    await generations.beginGeneration(photoRecord(`race-${id}`, "race-user", "race"));
    const raced = await Promise.all([1, 2].map(() => generations.completeGeneration({ generationId: `race-${id}`, imageIds: [], gpuMs: 1 })));
    expect(raced[0]!.id).toBe(raced[1]!.id);
    expect(await stack.db.prisma.message.count({ where: { generationId: `race-${id}`, kind: "completed" } })).toBe(1);
    expect((await eventTypes(`race-${id}`))["image:completed"]).toBe(1);
  });
});

describe("admission", () => {
  test("an instance is recorded only on a generation that got its user's slot; an unused pick is handed back", async () => {
    const generations = recordActivities();
    const user = `admit-${crypto.randomUUID()}`;
    const record = (n: number) => photoRecord(`${user}-${n}`, user, "admission");
    const handedBack: string[] = [];
    const placement = { pick: async () => ({ name: "gpu-admit" }), unpick: (i: { name: string }) => void handedBack.push(i.name) };
    const slot = { tenantId: stack.tenant, userId: user, max: 1 };

    const first = await generations.admit({ record: record(1), slot }, placement);
    const second = await generations.admit({ record: record(2), slot }, placement);
    expect(first).toMatchObject({ claim: { granted: true }, instance: { name: "gpu-admit" } });
    expect(second).toMatchObject({ claim: { granted: false, queuePosition: 1 } });
    expect(second.instance).toBeUndefined();
    expect(handedBack).toEqual(["gpu-admit"]);
    expect(await row(`${user}-1`)).toMatchObject({ status: "generating", instance: "gpu-admit", queuePosition: null });
    expect((await row(`${user}-1`)).slotClaimedAt).not.toBeNull();
    expect(await row(`${user}-2`)).toMatchObject({ status: "pending", instance: null, queuePosition: 1, slotClaimedAt: null, startedAt: null });

    // A retried admission of the first (its slot already held) keeps the slot and the instance.
    expect(await generations.admit({ record: record(1), slot }, placement)).toMatchObject({ claim: { granted: true }, instance: { name: "gpu-admit" } });
    expect(handedBack).toEqual(["gpu-admit"]);
    // A finished generation is never assigned again, even by a late retry.
    await stack.db.prisma.generation.update({ where: { id: `${user}-1` }, data: { status: "completed", instance: "gpu-done" } });
    await generations.admit({ record: record(1), slot }, placement);
    expect(await row(`${user}-1`)).toMatchObject({ status: "completed", instance: "gpu-done" });

    // An admission that fails (here: its records name a tenant that does not exist) hands its pick
    // back too; the workflow's retry picks again.
    const broken = { ...record(3), tenantId: `no-such-tenant-${user}` };
    await expect(generations.admit({ record: broken, slot: { ...slot, tenantId: broken.tenantId } }, placement)).rejects.toThrow();
    await eventually(async () => (handedBack.length === 2 ? true : undefined), "the failed admission's pick handed back");
    expect(handedBack).toEqual(["gpu-admit", "gpu-admit"]);
  });

  test("twelve admissions of one user at once: exactly the user's slots are granted, the rest queue in distinct places", async () => {
    const generations = recordActivities();
    const user = `admit-${crypto.randomUUID()}`;
    const ids = Array.from({ length: 12 }, (_, n) => `${user}-${n}`);
    // The records first, so that every claim below races only for the slots.
    for (const id of ids) await generations.beginGeneration(photoRecord(id, user, "burst"));
    const slot = { tenantId: stack.tenant, userId: user, max: 3 };
    const claims = await Promise.all(ids.map((generationId) => generations.claimUserSlot({ generationId, ...slot })));
    expect(claims.filter((c) => c.granted)).toHaveLength(3);
    expect(claims.filter((c) => !c.granted).map((c) => c.queuePosition).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const holding = await stack.db.prisma.generation.count({ where: { userId: user, slotClaimedAt: { not: null }, slotReleasedAt: null } });
    expect(holding).toBe(3);
  });
});

describe("instance pool", () => {
  test("an idle instance that finished a job a moment ago still counts as working; one idle since longer does not", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-pool-"));
    const sim = await startComfySimulator({ instances: 1, stepMs: 5, steps: 1, outputDir: dir });
    try {
      const name = `drained-${crypto.randomUUID().slice(0, 8)}`;
      const pool = createInstancePool([{ name, url: sim.instances[0]!.url, concurrency: 1 }], {
        recentFinish: finishFromRecords(stack.db.prisma, 3000),
        idleWatchMs: 300,
      });
      // Idle, and nothing of ours ever ran there: a job not picked up is stranded (its worker is gone).
      expect(await pool.isWorking(name)).toBe(false);
      // Its queue ran dry just now: the last job waiting for it timed out as the one ahead finished.
      // (An `admit-` id: the metrics test counts replies without the rows written straight here.)
      const id = `admit-${crypto.randomUUID()}`;
      await stack.db.prisma.generation.create({
        data: { id, tenantId: stack.tenant, kind: "companion_photo", status: "completed", description: "drained", width: 64, height: 64, workflowId: `darkroom/companion_photo/${id}`, instance: name, completedAt: new Date() },
      });
      expect(await pool.isWorking(name)).toBe(true);
      // A completion from before the instance went quiet says nothing about its worker now.
      await stack.db.prisma.$executeRaw`UPDATE "Generation" SET "completedAt" = now() - interval '10 seconds' WHERE "id" = ${id}`;
      expect(await pool.isWorking(name)).toBe(false);
    } finally {
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a pick handed back does not count against its instance: the next job goes there again", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-pool-"));
    const sim = await startComfySimulator({ instances: 2, stepMs: 5, steps: 1, outputDir: dir });
    try {
      const pool = createInstancePool(sim.instances.map((inst, i) => ({ name: `pool${i}`, url: inst.url, concurrency: 1 })), { probeTtlMs: 60_000 });
      const first = (await pool.pickInstance({ exclude: [] }))!.name;
      pool.unpick(first);
      expect((await pool.pickInstance({ exclude: [] }))?.name).toBe(first);
      // Kept, a pick counts as a job handed out: the next one goes to the other, idle, instance.
      expect((await pool.pickInstance({ exclude: [] }))?.name).not.toBe(first);
    } finally {
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("metrics and readiness", () => {
  test("/metrics reports generations by kind and status, latencies and the pool", async () => {
    const res = await fetch(`${stack.api}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    const value = (series: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    for (const status of ["completed", "cancelled"]) {
      const inDb = await stack.db.prisma.generation.count({ where: { kind: "companion_photo", status: status as GenerationStatus } });
      expect(value(`darkroom_generations{kind="companion_photo",status="${status}"}`)).toBe(inDb);
    }
    // Generations the activity-level tests wrote straight into the database had no reply.
    const replies = await stack.db.prisma.generation.count({
      where: { kind: "companion_photo", NOT: [{ id: { startsWith: "race-" } }, { id: { startsWith: "admit-" } }] },
    });
    expect(value(`darkroom_waiting_message_seconds_count{kind="companion_photo"}`)).toBe(replies);
    expect(value(`darkroom_generation_duration_seconds_count{kind="companion_photo",status="completed"}`)).toBeGreaterThanOrEqual(4);
    const [name0, name1] = stack.instanceNames as [string, string];
    expect(value(`darkroom_generation_gpu_seconds_count{kind="companion_photo",instance="${name0}"}`)).toBeGreaterThan(0);
    // The pool is probed at most every half second; an instance brought back by an earlier test may
    // still show its last probe, so wait for the next one.
    await eventually(async () => {
      const fresh = await (await fetch(`${stack.api}/metrics`)).text();
      const up = (name: string) => fresh.includes(`darkroom_instance_up{instance="${name}"} 1`);
      return up(name0) && up(name1) ? true : undefined;
    }, "both instances up in /metrics");
    expect(value(`darkroom_instance_queue_pending{instance="${name0}"}`)).toBe(0);
    expect(value(`darkroom_instance_busy_seconds_total{instance="${name0}"}`)).toBeGreaterThan(0);
    expect(value(`darkroom_instance_busy_ratio{instance="${name0}"}`)).toBeGreaterThan(0);

    // A second scrape observes nothing twice.
    const again = await (await fetch(`${stack.api}/metrics`)).text();
    const count = (t: string) => t.match(/^darkroom_generation_duration_seconds_count\{kind="companion_photo",status="completed"\} (\d+)$/m)?.[1];
    expect(count(again)).toBe(count(text));
  });

  test("/readyz answers 503 naming the database while it is unreachable, and recovers", async () => {
    expect((await stack.request("GET", "/readyz")).status).toBe(200);
    const url = new URL(stack.env.DATABASE_URL!);
    const database = url.pathname.slice(1);
    url.pathname = "/postgres";
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [database]);
      const down = await stack.request("GET", "/readyz");
      expect(down.status).toBe(503);
      expect(down.body.status).toBe("not_ready");
      expect(down.body.checks.database.ok).toBe(false);
      expect(down.body.checks.temporal.ok).toBe(true);
      expect((await stack.request("GET", "/healthz")).status).toBe(200);
    } finally {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await eventually(async () => ((await stack.request("GET", "/readyz")).status === 200 ? true : undefined), "readiness to come back");
  });

  test("/readyz answers 503 naming Temporal when its frontend does not answer", async () => {
    const unreachable = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 500 });
    const routes = operationRoutes({
      service: { operations: operationsService({ prisma: stack.db.prisma, temporalReachable: () => temporalAnswers(unreachable, 1000) } as unknown as ServiceDeps & { temporalReachable(): Promise<boolean> }) },
    } as unknown as ApiContext);
    try {
      const res = await routes.handle(new Request("http://darkroom/readyz"));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: { database: { ok: boolean }; temporal: { ok: boolean; error?: string } } };
      expect(body.checks.database.ok).toBe(true);
      expect(body.checks.temporal.ok).toBe(false);
      expect(body.checks.temporal.error).toBeTruthy();
    } finally {
      await unreachable.close().catch(() => undefined);
    }
  });
});

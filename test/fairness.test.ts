/**
 * GPU backlogs are shared fairly between tenants and served by tier, with Temporal's own task-queue
 * priority and fairness (the workflow starts with the tenant's priority; its GPU job inherits it).
 * One ComfyUI instance, a real Temporal dev server, PostgreSQL and the whole stack: the order in
 * which prompts start executing on the instance is what a user would notice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { companionPhotoWorkflowId } from "../domain/companionPhoto";
import { setTenantScheduling } from "../lib/tenantScheduling";
import { eventually, startStack, type Stack } from "./support/stack";

const BACKLOG = 60;

describe("fairness and priority on the GPU queues", () => {
  let stack: Stack;
  const keys = { busy: "key-busy-0123456789abcdef", solo: "key-solo-0123456789abcdef", free: "key-free-0123456789abcdef", paid: "key-paid-0123456789abcdef" };

  beforeAll(async () => {
    stack = await startStack({
      instances: 1,
      // One prompt running and one waiting on the instance: the rest wait in Temporal's queue.
      instanceConcurrency: 2,
      stepMs: 60,
      steps: 4,
      tenants: keys,
      // A backlog minutes deep is normal here; only a worker that is gone should cause a failover.
      env: { COMFYUI_PICKUP_TIMEOUT_MS: "600000", GENERATION_TIMEOUT_MS: "900000" },
    });
    await setTenantScheduling(stack.db.prisma, "free", { priority: 5 });
    await setTenantScheduling(stack.db.prisma, "paid", { priority: 1 });
  });
  afterAll(() => stack?.stop());

  /** Starts one photo per user of the tenant, all at once; returns the generation ids. */
  async function photos(tenant: keyof typeof keys, count: number, what: string): Promise<string[]> {
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        stack.request("POST", "/v1/agents/lina/replies", { userId: `${tenant}-user-${i}-${Date.now()}`, text: `Sure! [IMAGE: ${what} ${i}]` }, keys[tenant]),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    return answers.map((a) => a.body.generations[0].id as string);
  }

  /** Waits until every generation has been handed to the instance's task queue (instance recorded). */
  async function queued(ids: string[]) {
    await eventually(async () => {
      const n = await stack.db.prisma.generation.count({ where: { id: { in: ids }, instance: { not: null } } });
      return n === ids.length ? n : undefined;
    }, `${ids.length} photos placed on the instance`);
  }

  /** The prompt ids of these generations, once each has one. */
  async function promptsOf(ids: string[]): Promise<Map<string, string>> {
    return eventually(async () => {
      const rows = await stack.db.prisma.generation.findMany({ where: { id: { in: ids } }, select: { id: true, requestId: true } });
      return rows.every((r) => r.requestId) ? new Map(rows.map((r) => [r.requestId!, r.id])) : undefined;
    }, "every photo submitted to ComfyUI", 300_000);
  }

  /** Where in the instance's execution order (0-based) each prompt ran, counted from `sinceRun`. */
  const runIndex = (promptId: string, sinceRun: number) => stack.sim.instances[0]!.runs.slice(sinceRun).findIndex((r) => r.promptId === promptId);

  /**
   * How many prompts had started on the instance when Temporal put this photo's GPU job in the
   * instance's queue (the history's ActivityTaskScheduled), so the count is of GPU slots, not of
   * however long the workflow took to get there.
   */
  async function runsBeforeQueued(generationId: string): Promise<number> {
    const scheduledAt = await eventually(async () => {
      const history = await stack.running.temporal.workflow.getHandle(companionPhotoWorkflowId(generationId)).fetchHistory();
      const event = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === "generateOnComfy");
      const t = event?.eventTime;
      return t ? Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;
    }, "the GPU job scheduled", 300_000);
    return stack.sim.instances[0]!.runs.filter((r) => r.startedAt < scheduledAt).length;
  }

  test("another tenant's photo starts a few GPU slots into a 60-photo backlog, not after it", async () => {
    const backlog = await photos("busy", BACKLOG, "a busy tenant's picture");
    await queued(backlog);
    const mine = await photos("solo", 3, "the other tenant's picture");
    const sinceRun = await runsBeforeQueued(mine[0]!);
    const prompts = await promptsOf([...mine, ...backlog]);
    const byGeneration = new Map([...prompts].map(([p, g]) => [g, p]));
    await eventually(async () => (runIndex(byGeneration.get(mine[0]!)!, sinceRun) >= 0 ? true : undefined), "the other tenant's first photo to run", 300_000);
    const position = Math.min(...mine.map((g) => runIndex(byGeneration.get(g)!, sinceRun)).filter((i) => i >= 0));
    // One prompt was running and one waiting on the instance when its job joined the queue. The
    // server's fair matcher hands it out next on a quiet machine (seen: the 2nd to 4th prompt to
    // start), a few slots later under load, when it dispatches from a batch of the backlog it had
    // already read (seen: the 10th). First come, first served puts it behind everything waiting.
    const waiting = BACKLOG - sinceRun;
    expect(waiting).toBeGreaterThan(20); // the backlog was really there when it asked
    expect(position).toBeLessThan(waiting / 3);
    // Nobody loses out: every photo of both tenants completes.
    await eventually(async () => {
      const done = await stack.db.prisma.generation.count({ where: { id: { in: [...mine, ...backlog] }, status: "completed" } });
      return done === mine.length + backlog.length ? done : undefined;
    }, "every photo of both tenants completed", 300_000);
  });

  test("a high-priority tenant's photo jumps a low-priority backlog", async () => {
    const runsBefore = stack.sim.instances[0]!.runs.length;
    const backlog = await photos("free", 30, "a free-tier picture");
    await queued(backlog);
    const [urgent] = await photos("paid", 1, "a paid-tier picture");
    const sinceRun = await runsBeforeQueued(urgent!);
    const prompts = await promptsOf([urgent!, ...backlog]);
    const byGeneration = new Map([...prompts].map(([p, g]) => [g, p]));
    await eventually(async () => (runIndex(byGeneration.get(urgent!)!, sinceRun) >= 0 ? true : undefined), "the paid photo to run", 300_000);
    // As above: next on a quiet machine, a few slots later under load; never behind the backlog.
    const waiting = backlog.length - (sinceRun - runsBefore);
    expect(waiting).toBeGreaterThan(15);
    expect(runIndex(byGeneration.get(urgent!)!, sinceRun)).toBeLessThan(waiting / 3);
    // The free tier still gets all of its photos, after it.
    await eventually(async () => {
      const done = await stack.db.prisma.generation.count({ where: { id: { in: backlog }, status: "completed" } });
      return done === backlog.length ? done : undefined;
    }, "the free-tier backlog completed", 300_000);
  });

  test("an operator sets a tenant's tier and weight with ./darkroom tenants set; bad values are refused", async () => {
    const run = (...args: string[]) => {
      const r = Bun.spawnSync([process.execPath, "cli/darkroom.ts", "tenants", ...args], {
        cwd: `${import.meta.dir}/..`,
        env: { ...process.env, ...stack.env },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
    };
    const ok = run("set", "--tenant", "busy", "--priority", "2", "--fairness-weight", "3");
    expect(ok.out).toContain("priority 2, fairness weight 3");
    expect(ok.code).toBe(0);
    expect(await stack.db.prisma.tenant.findUnique({ where: { name: "busy" }, select: { priority: true, fairnessWeight: true } })).toEqual({ priority: 2, fairnessWeight: 3 });

    const tooLow = run("set", "--tenant", "busy", "--priority", "9");
    expect(tooLow.code).toBe(1);
    expect(tooLow.out).toContain("priority must be a whole number from 1 (first) to 5 (last)");
    const unknown = run("set", "--tenant", "nobody", "--priority", "1");
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('no tenant named "nobody"');
    const nothing = run("set", "--tenant", "busy");
    expect(nothing.code).toBe(2);
    // Refusals changed nothing.
    expect(await stack.db.prisma.tenant.findUnique({ where: { name: "busy" }, select: { priority: true } })).toEqual({ priority: 2 });
  });
});

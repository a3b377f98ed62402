/**
 * Orchestration overhead, one image at a time (so no image waits for a busy GPU), broken down per
 * step from three clocks on the same machine: the request and its answer, the workflow's Temporal
 * history (event times), and the instance's own record of when it ran the prompt.
 *
 * Overhead is what the existing figure always was: the generation's record, created → completed,
 * minus the instance's execution time (execution_start → execution_success in its history).
 */
import { companionPhotoWorkflowId } from "../domain/companionPhoto";
import { eventually, type Stack } from "../test/support/stack";
import { quantile, round, stats } from "./stats";

/** The segments, in the order a photo passes through them. */
const SEGMENTS = [
  ["reply", "request → waiting message back"],
  ["workflowPickup", "workflow started → first workflow task picked up"],
  ["admission", "first workflow task → GPU job scheduled (records, user slot, instance)"],
  ["gpuJobPickup", "GPU job scheduled → picked up by the instance's worker"],
  ["submit", "GPU job picked up → the instance starts the prompt"],
  ["gpu", "the instance runs the prompt"],
  ["resultBack", "prompt done → GPU job completed (history read, last preview)"],
  ["resultToWorkflow", "GPU job completed → workflow task picked up"],
  ["storeAndComplete", "→ stored and completed (fetch, sharp, storage, completion message)"],
] as const;
type Segment = (typeof SEGMENTS)[number][0];

const msOf = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN);

/**
 * `gapMs` between one image done and the next request: back to back, the dev server dispatches a
 * task that follows a just-finished run tens of ms late (its matching is still settling the last
 * one), which would be counted as darkroom's overhead; the durable floor is spaced the same way.
 */
export async function benchOverhead(stack: Stack, count: number, reply: (user: string) => Promise<string>, gapMs: number) {
  const overhead: number[] = [];
  const endToEnd: number[] = [];
  const segments = new Map<Segment, number[]>(SEGMENTS.map(([name]) => [name, []]));
  for (let i = 0; i < count; i++) {
    const requested = Date.now();
    const id = await reply(`seq-${i}`);
    const answered = Date.now();
    const row = await eventually(async () => {
      const g = await stack.db.prisma.generation.findUnique({ where: { id } });
      return g?.status === "completed" ? g : undefined;
    }, `image ${id}`);
    const completedAt = row.completedAt!.getTime();
    // From the request, not the record's createdAt: the record is written once the workflow has
    // started, so counting from it would leave the start out. (One machine, one clock.)
    const total = completedAt - requested;
    endToEnd.push(total);
    overhead.push(total - (row.gpuMs ?? 0));

    const events = (await stack.running.temporal.workflow.getHandle(companionPhotoWorkflowId(id)).fetchHistory()).events ?? [];
    const at = (pick: (e: (typeof events)[number]) => unknown, nth = 0) => msOf(events.filter((e) => pick(e))[nth]?.eventTime);
    const run = stack.sim.instances.flatMap((x) => x.runs).find((r) => r.promptId === row.requestId);
    if (!run?.finishedAt) continue;
    const points: Record<Segment, [number, number]> = {
      reply: [requested, answered],
      workflowPickup: [at((e) => e.workflowExecutionStartedEventAttributes), at((e) => e.workflowTaskStartedEventAttributes)],
      admission: [at((e) => e.workflowTaskStartedEventAttributes), at((e) => e.activityTaskScheduledEventAttributes)],
      gpuJobPickup: [at((e) => e.activityTaskScheduledEventAttributes), at((e) => e.activityTaskStartedEventAttributes)],
      submit: [at((e) => e.activityTaskStartedEventAttributes), run.startedAt],
      gpu: [run.startedAt, run.finishedAt],
      resultBack: [run.finishedAt, at((e) => e.activityTaskCompletedEventAttributes)],
      resultToWorkflow: [at((e) => e.activityTaskCompletedEventAttributes), at((e) => e.workflowTaskStartedEventAttributes, 1)],
      storeAndComplete: [at((e) => e.workflowTaskStartedEventAttributes, 1), completedAt],
    };
    for (const [name, [from, to]] of Object.entries(points) as Array<[Segment, [number, number]]>) {
      if (Number.isFinite(from) && Number.isFinite(to)) segments.get(name)!.push(to - from);
    }
    await Bun.sleep(gapMs);
  }
  return {
    overheadMs: stats(overhead),
    endToEndMs: stats(endToEnd),
    /** p50 of each step (ms); they add up to about the end-to-end time, GPU included. */
    stepsP50Ms: Object.fromEntries(SEGMENTS.map(([name, what]) => [name, { p50: round(quantile(segments.get(name)!, 0.5)), what }])),
  };
}

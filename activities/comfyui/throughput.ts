/**
 * What one ComfyUI instance has been measured to do: how long its jobs take, per kind of job (the
 * checkpoint, the size and the number of steps), learned from the prompts this worker ran. ETAs
 * come from these measurements, never from a constant: an instance that has not run a job like
 * this one yet gives no estimate rather than a guess.
 */
import type { ComfyGraph } from "./protocol";

/** Weight of the newest measurement in a running average: recent enough to follow a model swap. */
const ALPHA = 0.3;

const ewma = (old: number | undefined, value: number) => (old === undefined ? value : old + ALPHA * (value - old));

/** The kind of job a graph is, for timing: what it loads, how big it renders, how many steps. */
export function jobShape(graph: ComfyGraph): { key: string; steps?: number } {
  const checkpoints: string[] = [];
  let width: unknown;
  let height: unknown;
  let steps = 0;
  for (const node of Object.values(graph)) {
    const inputs = node.inputs ?? {};
    if (typeof inputs.ckpt_name === "string") checkpoints.push(inputs.ckpt_name);
    if (typeof inputs.lora_name === "string") checkpoints.push(`lora:${inputs.lora_name}`);
    if (typeof inputs.width === "number" && typeof inputs.height === "number") [width, height] = [inputs.width, inputs.height];
    if (typeof inputs.steps === "number") steps += inputs.steps;
  }
  return { key: `${checkpoints.sort().join("+") || "-"}|${width ?? "?"}x${height ?? "?"}|${steps}`, steps: steps || undefined };
}

export interface RunTiming {
  /** execution_start on the instance. */
  startedAt: number;
  /** First and last sampler step seen, with their step numbers. */
  firstStep?: { at: number; value: number };
  lastStep?: { at: number; value: number };
  finishedAt: number;
}

interface ShapeStats {
  jobMs?: number;
  msPerStep?: number;
  /** From execution_start to the first step (loading models, encoding the prompt). */
  headMs?: number;
  /** From the last step to the end (decoding, saving). */
  tailMs?: number;
  runs: number;
}

export class InstanceThroughput {
  private readonly shapes = new Map<string, ShapeStats>();
  /** Any job on this instance, for the prompts ahead of ours whose kind we do not know. */
  private anyJobMs: number | undefined;
  /** From this instance finishing a picture to the chat being told it is ready (see deliveryTimes.ts). */
  private deliveredAfterMs: number | undefined;
  /** The prompts this process is following while they run here: each one's time left. */
  private readonly running = new Map<string, (now: number) => number | undefined>();

  observe(shapeKey: string, t: RunTiming): void {
    const s = this.shapes.get(shapeKey) ?? { runs: 0 };
    const jobMs = t.finishedAt - t.startedAt;
    if (!(jobMs >= 0)) return;
    s.jobMs = ewma(s.jobMs, jobMs);
    this.anyJobMs = ewma(this.anyJobMs, jobMs);
    if (t.firstStep && t.lastStep && t.lastStep.value > t.firstStep.value) {
      s.msPerStep = ewma(s.msPerStep, (t.lastStep.at - t.firstStep.at) / (t.lastStep.value - t.firstStep.value));
      // The first reported step is already done: its own time belongs to the head.
      s.headMs = ewma(s.headMs, Math.max(0, t.firstStep.at - t.startedAt - (s.msPerStep ?? 0)));
      s.tailMs = ewma(s.tailMs, Math.max(0, t.finishedAt - t.lastStep.at));
    }
    s.runs += 1;
    this.shapes.set(shapeKey, s);
  }

  /**
   * A picture this instance made was stored and its chat told `ms` after the instance finished it
   * (post-processing, storage, the completion message: the main worker's part).
   */
  observeDelivery(ms: number): void {
    if (ms >= 0) this.deliveredAfterMs = ewma(this.deliveredAfterMs, ms);
  }

  /** The time from this instance's finish to the chat being told, once one was measured. */
  deliveryMs(): number | undefined {
    return this.deliveredAfterMs;
  }

  /** A whole job of this kind, or undefined before one has run here. */
  jobMs(shapeKey: string): number | undefined {
    return this.shapes.get(shapeKey)?.jobMs;
  }

  /**
   * A prompt of ours is running here: until the returned function is called, queued ETAs count its
   * own time left instead of assuming it half done. (An instance runs one prompt at a time, and its
   * one GPU worker follows every prompt darkroom sent it.)
   */
  trackRunning(promptId: string, timeLeft: (now: number) => number | undefined): () => void {
    this.running.set(promptId, timeLeft);
    return () => {
      if (this.running.get(promptId) === timeLeft) this.running.delete(promptId);
    };
  }

  /** The time left of the prompt of ours running here, when there is one with an estimate. */
  private runningLeftMs(now: number): number | undefined {
    let left: number | undefined;
    for (const timeLeft of this.running.values()) {
      const ms = timeLeft(now);
      if (ms !== undefined && (left === undefined || ms < left)) left = ms;
    }
    return left;
  }

  /**
   * Time left for a prompt that waits behind `ahead` prompts (the running one included): the
   * running one's time left, the others at this instance's measured pace, then its own.
   */
  queuedMs(shapeKey: string, ahead: number, now = Date.now()): number | undefined {
    const own = this.jobMs(shapeKey);
    if (own === undefined || ahead <= 0) return own;
    // Every observation sets both, so there is an "any job" time whenever there is `own`.
    const anyJob = this.anyJobMs ?? own;
    // Without a running prompt of ours to go by (another client's, or ours before its first
    // event), the running one is on average half done.
    return (this.runningLeftMs(now) ?? anyJob / 2) + (ahead - 1) * anyJob + own;
  }

  /**
   * Time left for a running prompt at step `value` of `max` (or before its first step): at the pace
   * this very run shows once it has two steps, at the measured pace for its kind before that.
   */
  runningMs(shapeKey: string, now: number, run: { startedAt: number; firstStep?: { at: number; value: number }; step?: { at: number; value: number; max: number } }): number | undefined {
    const s = this.shapes.get(shapeKey);
    const step = run.step;
    let perStep = s?.msPerStep;
    if (step && run.firstStep && step.value > run.firstStep.value) perStep = (step.at - run.firstStep.at) / (step.value - run.firstStep.value);
    if (step) {
      if (perStep === undefined) return undefined;
      const sinceStep = Math.max(0, now - step.at);
      return Math.max(0, (step.max - step.value) * perStep - sinceStep) + (s?.tailMs ?? 0);
    }
    if (s?.jobMs === undefined) return undefined;
    return Math.max(0, s.jobMs - (now - run.startedAt));
  }
}

const byInstance = new Map<string, InstanceThroughput>();

/** The measurements of one instance, shared by every job this process runs on it. */
export function throughputOf(instance: string): InstanceThroughput {
  let t = byInstance.get(instance);
  if (!t) byInstance.set(instance, (t = new InstanceThroughput()));
  return t;
}

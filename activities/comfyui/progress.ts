/**
 * Turns a prompt's events into progress reports for the chat. Steps can take zero time (a cached
 * graph, a fast GPU), so step reports are throttled; phase changes, queue moves and the final
 * step always go out. Reports are delivered one at a time, in order. Each report carries an ETA
 * from the instance's measured pace (see throughput.ts) once there is one to go by.
 */
import type { ComfyPromptEvent } from "./follow";
import type { InstanceThroughput } from "./throughput";

export interface ComfyProgress {
  generationId: string;
  instance: string;
  promptId: string;
  phase: "queued" | "running";
  percent: number;
  step?: number;
  of?: number;
  queuePosition?: number;
  /**
   * Seconds until the chat is told the picture is ready: the instance's measured pace, then the
   * measured time from its finish to the completion; absent until the pace is measured.
   */
  etaSeconds?: number;
}

/** What the reporter times: the kind of job and the instance's measurements it adds to. */
export interface ProgressTiming {
  shape: string;
  throughput: InstanceThroughput;
}

export class ProgressReporter {
  private promptId: string | undefined;
  private phase: ComfyProgress["phase"] | undefined;
  private percent = 0;
  private queuePosition: number | undefined;
  private lastSent: ComfyProgress | undefined;
  private lastSentAt = 0;
  private chain: Promise<void> = Promise.resolve();
  private run: { startedAt: number; firstStep?: { at: number; value: number }; step?: { at: number; value: number; max: number } } | undefined;
  /** Takes this prompt off the instance's list of running prompts (see InstanceThroughput.trackRunning). */
  private untrack: (() => void) | undefined;
  /** The prompt finished on the instance: what is left is delivery. */
  private finished = false;

  constructor(
    private readonly generationId: string,
    private readonly instance: string,
    private readonly hook: ((progress: ComfyProgress) => Promise<void> | void) | undefined,
    private readonly onHookError: (err: unknown) => void,
    private readonly minIntervalMs = 100,
  ) {}

  private timing: ProgressTiming | undefined;

  /** Times the prompt as this kind of job on this instance: ETAs from then on, and its run measured. */
  timeWith(timing: ProgressTiming): void {
    this.timing = timing;
  }

  /** Records an event and returns the prompt's percent so far. */
  observe(promptId: string, event: ComfyPromptEvent): number {
    if (promptId !== this.promptId) {
      // A resubmitted prompt starts over.
      this.promptId = promptId;
      this.phase = undefined;
      this.percent = 0;
      this.queuePosition = undefined;
      this.run = undefined;
      this.finished = false;
      this.stopTracking();
    }
    const now = Date.now();
    if ((event.type === "running" || event.type === "progress") && !this.run) {
      const run = (this.run = { startedAt: now });
      // The prompts queued behind this one on the instance get their ETAs from its time left.
      if (this.timing) {
        const { shape, throughput } = this.timing;
        this.untrack = throughput.trackRunning(promptId, (at) => throughput.runningMs(shape, at, run));
      }
    }
    if (event.type === "progress" && event.max > 0 && this.run) {
      this.run.firstStep ??= { at: now, value: event.value };
      this.run.step = { at: now, value: event.value, max: event.max };
    }
    switch (event.type) {
      case "queued":
        if (this.phase === "running") break; // a late poll answer; the socket already saw it start
        if (this.phase !== "queued" || this.queuePosition !== event.position) {
          this.phase = "queued";
          this.queuePosition = event.position;
          this.send({ phase: "queued", percent: 0, queuePosition: event.position });
        }
        break;
      case "running":
        if (this.phase !== "running") {
          this.phase = "running";
          this.send({ phase: "running", percent: this.percent });
        }
        break;
      case "progress": {
        if (!(event.max > 0)) break;
        const firstRunning = this.phase !== "running";
        this.phase = "running";
        this.percent = Math.max(0, Math.min(100, Math.floor((event.value / event.max) * 100)));
        const isFinal = event.value >= event.max;
        if (firstRunning || isFinal || Date.now() - this.lastSentAt >= this.minIntervalMs) {
          this.send({ phase: "running", percent: this.percent, step: event.value, of: event.max });
        }
        break;
      }
      case "executed":
        break;
    }
    return this.percent;
  }

  /** The prompt is no longer followed here (finished, failed, cancelled, or left to a retry). */
  stopTracking(): void {
    this.untrack?.();
    this.untrack = undefined;
  }

  /** The prompt finished: make sure the last report says 100%, then wait for delivery. */
  async finish(promptId: string): Promise<void> {
    this.stopTracking();
    if (this.timing && this.run && this.promptId === promptId) {
      const step = this.run.step;
      this.timing.throughput.observe(this.timing.shape, {
        startedAt: this.run.startedAt,
        firstStep: this.run.firstStep,
        lastStep: step && { at: step.at, value: step.value },
        finishedAt: Date.now(),
      });
    }
    this.promptId = promptId;
    this.percent = 100;
    this.finished = true;
    if (this.lastSent?.promptId !== promptId || this.lastSent.percent !== 100) this.send({ phase: "running", percent: 100 });
    await this.settled();
  }

  settled(): Promise<void> {
    return this.chain;
  }

  private etaMs(phase: ComfyProgress["phase"], queuePosition: number | undefined): number | undefined {
    if (!this.timing) return undefined;
    const { shape, throughput } = this.timing;
    const gpuMs = phase === "queued"
      ? throughput.queuedMs(shape, queuePosition ?? 0)
      : this.run
      ? throughput.runningMs(shape, Date.now(), this.run)
      : throughput.jobMs(shape);
    // The chat waits for the picture, not for the instance: after the GPU come storing and the
    // completion message, as measured for this instance's pictures (nothing added before that).
    return gpuMs === undefined ? undefined : gpuMs + (throughput.deliveryMs() ?? 0);
  }

  private send(fields: Omit<ComfyProgress, "generationId" | "instance" | "promptId">): void {
    const progress: ComfyProgress = { generationId: this.generationId, instance: this.instance, promptId: this.promptId!, ...fields };
    // 100% from the last step still has the decode and save ahead; 100% from `finish`, only delivery.
    const etaMs = this.finished ? (this.timing?.throughput.deliveryMs() ?? 0) : this.etaMs(fields.phase, fields.queuePosition);
    // Hundredths: a short job (a fast GPU, a small picture) would lose most of its estimate to tenths.
    if (etaMs !== undefined) progress.etaSeconds = Math.round(etaMs / 10) / 100;
    this.lastSent = progress;
    this.lastSentAt = Date.now();
    const hook = this.hook;
    if (!hook) return;
    this.chain = this.chain.then(() => hook(progress)).catch(this.onHookError);
  }
}

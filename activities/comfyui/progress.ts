/**
 * Turns a prompt's events into progress reports for the chat. Steps can take zero time (a cached
 * graph, a fast GPU), so step reports are throttled; phase changes, queue moves and the final
 * step always go out. Reports are delivered one at a time, in order.
 */
import type { ComfyPromptEvent } from "./follow";

export interface ComfyProgress {
  generationId: string;
  instance: string;
  promptId: string;
  phase: "queued" | "running";
  percent: number;
  step?: number;
  of?: number;
  queuePosition?: number;
}

export class ProgressReporter {
  private promptId: string | undefined;
  private phase: ComfyProgress["phase"] | undefined;
  private percent = 0;
  private queuePosition: number | undefined;
  private lastSent: ComfyProgress | undefined;
  private lastSentAt = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly generationId: string,
    private readonly instance: string,
    private readonly hook: ((progress: ComfyProgress) => Promise<void> | void) | undefined,
    private readonly onHookError: (err: unknown) => void,
    private readonly minIntervalMs = 100,
  ) {}

  /** Records an event and returns the prompt's percent so far. */
  observe(promptId: string, event: ComfyPromptEvent): number {
    if (promptId !== this.promptId) {
      // A resubmitted prompt starts over.
      this.promptId = promptId;
      this.phase = undefined;
      this.percent = 0;
      this.queuePosition = undefined;
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

  /** The prompt finished: make sure the last report says 100%, then wait for delivery. */
  async finish(promptId: string): Promise<void> {
    this.promptId = promptId;
    this.percent = 100;
    if (this.lastSent?.promptId !== promptId || this.lastSent.percent !== 100) this.send({ phase: "running", percent: 100 });
    await this.settled();
  }

  settled(): Promise<void> {
    return this.chain;
  }

  private send(fields: Omit<ComfyProgress, "generationId" | "instance" | "promptId">): void {
    const progress: ComfyProgress = { generationId: this.generationId, instance: this.instance, promptId: this.promptId!, ...fields };
    this.lastSent = progress;
    this.lastSentAt = Date.now();
    const hook = this.hook;
    if (!hook) return;
    this.chain = this.chain.then(() => hook(progress)).catch(this.onHookError);
  }
}

/**
 * A task's state as task clients know it — `{ state, details: { status, progress, step_results,
 * final_result? } }` — folded from its generation's events. The snapshot after event N is a pure
 * function of events 1..N, so the SSE stream, a WebSocket `task:update` and `GET /v1/tasks/:id`
 * always agree, and a replay from the log rebuilds exactly what a live client saw.
 */
export type TaskStateName = "PENDING" | "PROGRESS" | "SUCCESS" | "FAILURE";

export type StepResult = { type: "log"; message: string } | { type: "tool_result"; step_name: string; tool: string; data: unknown };

export interface TaskDetails {
  status: string;
  progress: number;
  step_results: StepResult[];
  final_result?: unknown;
}

export interface TaskSnapshot {
  state: TaskStateName;
  details: TaskDetails;
}

/**
 * Payload of a `task:update` event written by a flow: a status line, a step result, and the share
 * of the whole task (0–100) that the GPU progress which follows stands for.
 */
export interface TaskStepPayload {
  status?: string;
  step?: StepResult;
  progress?: number;
  /** GPU progress after this event maps into [from, to] of the task's progress. */
  range?: [number, number];
  final?: unknown;
}

export const TERMINAL_TASK_STATES: ReadonlySet<TaskStateName> = new Set(["SUCCESS", "FAILURE"]);

type Payload = Record<string, unknown>;

export class TaskFold {
  private state: TaskStateName = "PENDING";
  private status = "Waiting to start";
  private progress = 0;
  private range: [number, number] = [0, 100];
  private readonly steps: StepResult[] = [];
  private final: unknown;
  private generating = false;

  /** Applies one event of the task's generation and returns the snapshot after it. */
  apply(type: string, payload: Payload): TaskSnapshot {
    switch (type) {
      case "message:new": {
        const message = payload.message as Payload | undefined;
        if (message?.kind === "waiting") {
          this.status = "Waiting message sent";
          this.steps.push({ type: "tool_result", step_name: "Waiting message", tool: "compose_message", data: { content: message.content } });
        }
        break;
      }
      case "image:queued":
        this.reopenIfFinished();
        this.status = "Queued";
        this.steps.push({ type: "log", message: `Queued: ${String(payload.description ?? "image")}` });
        break;
      case "image:progress": {
        this.reopenIfFinished();
        this.state = "PROGRESS";
        const percent = Number(payload.percent ?? 0);
        if (payload.queuePosition !== undefined && payload.queuePosition !== null && percent === 0) {
          this.status = `Waiting for a GPU (position ${String(payload.queuePosition)})`;
        } else {
          if (!this.generating) {
            this.generating = true;
            this.steps.push({ type: "log", message: "Generating on the GPU" });
          }
          this.status = payload.step !== undefined && payload.of !== undefined ? `Generating (step ${String(payload.step)} of ${String(payload.of)})` : "Generating";
          const [from, to] = this.range;
          this.advance(from + ((to - from) * Math.max(0, Math.min(100, percent))) / 100);
        }
        break;
      }
      case "image:preview": {
        // One "Preview" step result, kept last and replaced by each newer preview, so the list grows by
        // one entry, not one per frame.
        this.dropPreview();
        this.steps.push({
          type: "tool_result",
          step_name: "Preview",
          tool: "comfyui",
          data: { url: payload.url, step: payload.step, of: payload.of, width: payload.width, height: payload.height },
        });
        break;
      }
      case "task:update": {
        const step = payload as TaskStepPayload;
        this.reopenIfFinished();
        this.state = "PROGRESS";
        if (step.status) this.status = step.status;
        if (step.step) this.steps.push(step.step);
        if (step.progress !== undefined) this.advance(step.progress);
        if (step.range) {
          this.range = step.range;
          this.generating = false;
        }
        if (step.final !== undefined) this.final = step.final;
        break;
      }
      case "image:completed": {
        // The finished pictures stand where the preview stood.
        this.dropPreview();
        this.state = "SUCCESS";
        this.status = "Completed";
        this.progress = 100;
        const message = payload.message as Payload | undefined;
        const images = (message?.metadata as Payload | undefined)?.multimedia ?? payload.images;
        if (images !== undefined) this.steps.push({ type: "tool_result", step_name: "Image", tool: "comfyui", data: images });
        this.final = payload.final ?? (message ? { message, images } : this.final ?? { images });
        break;
      }
      case "image:failed":
        this.state = "FAILURE";
        this.status = `Failed: ${String(payload.error ?? "unknown error")}`;
        this.steps.push({ type: "log", message: this.status });
        if (payload.message) this.final = { message: payload.message };
        break;
      case "image:cancelled":
        this.state = "FAILURE";
        this.status = "Cancelled";
        this.steps.push({ type: "log", message: "Cancelled" });
        break;
    }
    return this.snapshot();
  }

  snapshot(): TaskSnapshot {
    const details: TaskDetails = { status: this.status, progress: Math.round(this.progress), step_results: [...this.steps] };
    if (this.final !== undefined && TERMINAL_TASK_STATES.has(this.state)) details.final_result = this.final;
    return { state: this.state, details };
  }

  private dropPreview() {
    const at = this.steps.findIndex((s) => s.type === "tool_result" && s.step_name === "Preview");
    if (at >= 0) this.steps.splice(at, 1);
  }

  private advance(to: number) {
    this.progress = Math.max(this.progress, Math.min(100, to));
  }

  /** A retried generation starts over under the same task id. */
  private reopenIfFinished() {
    if (!TERMINAL_TASK_STATES.has(this.state)) return;
    this.state = "PENDING";
    this.progress = 0;
    this.range = [0, 100];
    this.final = undefined;
    this.generating = false;
  }
}

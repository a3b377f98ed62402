/**
 * One "run" of a ComfyUI server process: its queue, history, sockets and the single worker that
 * executes prompts one at a time. A restart throws the whole object away, as a real restart would.
 */
import { nodeCatalog, type NodeClass } from "./catalog";
import { executePrompt, OutputCache, ProcessKilled, type Delivery } from "./execute";
import type { ComfyFolders } from "./folders";
import { PromptQueue } from "./prompt-queue";
import { SocketHub } from "./sockets";
import type { HistoryEntry, InjectedFailure, NodeUiOutput, QueueItem, SimRun } from "./types";

export interface ProcessSettings {
  folders: ComfyFolders;
  stepMs(): number;
  stepsOverride?: number;
  historyDelayMs: number;
  isStalled(): boolean;
  /** Whether this build knows the feature_flags handshake (false: an older build that ignores it). */
  featureFlags(): boolean;
  /** Consumes one injected failure, if any are armed. */
  takeFailure(): InjectedFailure | undefined;
  recordRun(run: SimRun): void;
  modelLoadMs: number;
  modelsInVram: number;
  recordModelLoad(load: { checkpoint: string; promptId: string; evicted?: string }): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ComfyProcess {
  readonly sockets: SocketHub;
  readonly queue: PromptQueue;
  /** Lives and dies with the process: a restart starts with nothing cached. */
  private readonly cache = new OutputCache();
  /** server.py's PromptServer.number: every POST /prompt takes the next one. */
  private nextNumber = 0;
  private alive = true;
  private interruptRequested = false;
  /** The client and node server.py remembers, so a reconnecting client learns what is executing. */
  private currentClientId: string | undefined;
  private lastNodeId: string | null = null;
  /** Checkpoints in VRAM, least recently used first; a restart (a new process) starts empty. */
  readonly loadedModels: string[] = [];

  constructor(private readonly settings: ProcessSettings) {
    this.sockets = new SocketHub(settings.isStalled, settings.featureFlags);
    this.queue = new PromptQueue(() => this.broadcastStatus());
  }

  catalog(): Record<string, NodeClass> {
    const { folders } = this.settings;
    return nodeCatalog(folders.inputImages(), { checkpoints: folders.modelFiles("checkpoints"), loras: folders.modelFiles("loras") });
  }

  takeNumber(): number {
    return this.nextNumber++;
  }

  start(): void {
    void this.work();
  }

  kill(): void {
    this.alive = false;
    this.queue.close();
    this.sockets.dropAll();
  }

  statusPayload(sid?: string): Record<string, unknown> {
    return { status: { exec_info: { queue_remaining: this.queue.remaining } }, ...(sid ? { sid } : {}) };
  }

  /** Sent to a socket right after it connects. */
  greet(sid: string): void {
    this.sockets.json("status", this.statusPayload(sid), sid);
    if (this.currentClientId === sid && this.lastNodeId !== null) this.sockets.json("executing", { node: this.lastNodeId }, sid);
  }

  /** Empty body: stop whatever runs. With a prompt_id: only when that prompt is the running one. */
  interrupt(promptId?: string): boolean {
    const running = this.queue.current;
    if (!running) return false;
    if (promptId !== undefined && running[1] !== promptId) return false;
    this.interruptRequested = true;
    return true;
  }

  cancel(promptId: string): boolean {
    if (this.queue.deletePending(promptId)) return true;
    return this.interrupt(promptId);
  }

  private broadcastStatus(): void {
    if (this.alive) this.sockets.json("status", this.statusPayload());
  }

  private async work(): Promise<void> {
    while (this.alive) {
      const item = await this.queue.take();
      if (!this.alive || !item) return;
      try {
        await this.runItem(item);
      } catch (ex) {
        if (!(ex instanceof ProcessKilled)) throw ex;
        return;
      }
    }
  }

  private async runItem(item: QueueItem): Promise<void> {
    const [, promptId, , extraData] = item;
    const clientId = typeof extraData.client_id === "string" ? extraData.client_id : undefined;
    const run: SimRun = { promptId, clientId, startedAt: Date.now(), steps: 0, previews: [] };
    this.settings.recordRun(run);
    this.interruptRequested = false;
    this.currentClientId = clientId;
    const failure = this.settings.takeFailure();

    const catalog = this.catalog();
    const result = await executePrompt(
      item,
      {
        folders: this.settings.folders,
        cache: this.cache,
        stepMs: this.settings.stepMs,
        stepsOverride: this.settings.stepsOverride,
        failure,
        interrupted: () => this.interruptRequested,
        alive: () => this.alive,
        emit: (event, data, delivery) => this.emit(event, data, delivery, clientId),
        previewsWithMetadata: () => this.sockets.supports(clientId, "supports_preview_metadata"),
        preview: (jpeg, step, metadata) => {
          if (!this.alive) return;
          if (metadata) this.sockets.previewWithMetadata(jpeg, { ...metadata }, clientId);
          else this.sockets.preview(jpeg, clientId);
          run.previews.push({ step, event: metadata ? 4 : 1, sentAt: performance.now() });
        },
        useModel: async (checkpoint) => {
          if (this.settings.modelLoadMs <= 0) return;
          const at = this.loadedModels.indexOf(checkpoint);
          if (at >= 0) {
            this.loadedModels.splice(at, 1);
            this.loadedModels.push(checkpoint);
            return;
          }
          const evicted = this.loadedModels.length >= this.settings.modelsInVram ? this.loadedModels.shift() : undefined;
          this.settings.recordModelLoad({ checkpoint, promptId, ...(evicted ? { evicted } : {}) });
          await sleep(this.settings.modelLoadMs);
          this.loadedModels.push(checkpoint);
        },
        executingNode: (nodeId) => {
          this.lastNodeId = nodeId;
        },
        stepDone: () => {
          run.steps++;
        },
      },
      (classType) => catalog[classType]?.outputNode === true,
    );
    run.finishedAt = Date.now();
    run.outcome = result.outcome;
    this.lastNodeId = null;

    // ComfyUI records history only after execute() returns (cleanup, GC), so it lags execution_success.
    await sleep(this.settings.historyDelayMs);
    if (!this.alive) throw new ProcessKilled();
    const success = result.outcome === "success";
    this.queue.done(promptId, {
      prompt: item,
      outputs: result.outputs,
      status: { status_str: success ? "success" : "error", completed: success, messages: result.messages },
      meta: meta(result.outputs),
    } satisfies HistoryEntry);
    if (clientId !== undefined) this.sockets.json("executing", { node: null, prompt_id: promptId }, clientId);
    this.currentClientId = undefined;
  }

  /** server.py's addressing: a prompt with a client_id talks to that socket only; without one, "addressed" events broadcast. */
  private emit(event: string, data: Record<string, unknown>, delivery: Delivery, clientId: string | undefined): void {
    if (!this.alive) return;
    if (clientId === undefined && delivery === "client") return;
    this.sockets.json(event, data, clientId);
  }
}

function meta(outputs: Record<string, NodeUiOutput>): HistoryEntry["meta"] {
  const out: HistoryEntry["meta"] = {};
  for (const nodeId of Object.keys(outputs)) out[nodeId] = { node_id: nodeId, display_node: nodeId, parent_node: null, real_node_id: nodeId };
  return out;
}

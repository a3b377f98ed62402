/** Shapes shared by the ComfyUI simulator's parts: its public controls and ComfyUI's own wire types. */

export interface ComfySimulatorOptions {
  instances: number;
  /** 0 or undefined: every instance gets a random free port; otherwise instance i listens on basePort + i. */
  basePort?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Overrides every sampler's `steps` input when set. */
  steps?: number;
  stepMs: number;
  outputDir: string;
  /** How long after `execution_success` the history entry appears (ComfyUI writes it after the run returns). */
  historyDelayMs?: number;
  /**
   * Serve the job API upstream added after 0.3.64 (`GET /api/jobs`, `GET /api/jobs/{id}`). Off by
   * default, like the 0.3.64 these instances imitate, where those routes answer 404 and clients use
   * `/queue` + `/history`.
   */
  jobsApi?: boolean;
  /**
   * Model loading, as on a real GPU: a sampler whose checkpoint is not in VRAM first loads it for
   * this long (0, the default: models cost nothing, as before). At most `modelsInVram` checkpoints
   * stay loaded; the least recently used one is evicted for a new one. A restart empties VRAM.
   */
  modelLoadMs?: number;
  modelsInVram?: number;
}

export type RunOutcome = "success" | "error" | "interrupted";

export interface SimRun {
  promptId: string;
  clientId?: string;
  startedAt: number;
  finishedAt?: number;
  outcome?: RunOutcome;
  /** Sampler steps actually performed, summed over every sampler in the graph. */
  steps: number;
  /** Each binary preview frame handed to a socket: its step and when it left (`performance.now()`), for latency measurements. */
  previews: Array<{ step: number; event: 1 | 4; sentAt: number }>;
}

export interface InjectedFailure {
  message?: string;
  /** The class_type whose node raises; defaults to the first sampler in the graph. */
  nodeType?: string;
}

export interface SimInstance {
  index: number;
  port: number;
  url: string;
  /** Every prompt that started executing on the "GPU": proves work was or was not done twice. */
  runs: SimRun[];
  /** Prompt ids accepted by POST /prompt, in order. */
  submitted: string[];
  /** Every checkpoint load (a swap when another model had to be evicted), in order. */
  modelLoads: Array<{ checkpoint: string; promptId: string; evicted?: string }>;
  /** The checkpoints in VRAM now, least recently used first. */
  loadedModels(): string[];
  /** The API-format graphs accepted by POST /prompt, in order: what darkroom sent the "GPU". */
  submittedPrompts: Array<{ promptId: string; prompt: Record<string, unknown> }>;
  /** Files stored by POST /upload/image (`subfolder/name`), in order, across restarts. */
  uploads: string[];
  /** The install's input folder (kept across restarts, as ComfyUI's is). */
  readonly inputDir: string;
  /**
   * The install's models folder: a file written into `checkpoints/` or `loras/` here is offered by
   * /object_info (and accepted in prompts) from then on, as when a model is installed on ComfyUI.
   */
  readonly modelsDir: string;
  failNext(count: number, error?: InjectedFailure): void;
  setStepMs(ms: number): void;
  /** Keep sockets open but silently stop sending frames, as real ComfyUI sockets sometimes do for hours. */
  stallSockets(stalled: boolean): void;
  /**
   * false imitates a build from before the feature_flags handshake: a client's `feature_flags`
   * message goes unanswered and every preview is an event 1 frame. true (the default) is 0.3.64:
   * event 4 for clients that announced `supports_preview_metadata`, event 1 for the others.
   */
  setPreviewMetadata(supported: boolean): void;
  /** The instance dies: listener closed, sockets dropped, connections refused. */
  down(): Promise<void>;
  /** Comes back on the same port as a fresh process: empty queue and history. */
  up(): Promise<void>;
  /** down() then up(). */
  restart(): Promise<void>;
}

export interface ComfySimulator {
  instances: SimInstance[];
  stop(): Promise<void>;
}

/** A link to another node's output: `["<nodeId>", outputIndex]`. */
export type NodeLink = [string, number];

export interface PromptNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

export type PromptGraph = Record<string, PromptNode>;

/** ComfyUI's queue item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export type QueueItem = [number, string, PromptGraph, Record<string, unknown>, string[]];

export interface ComfyError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  errors: ComfyError[];
  dependent_outputs: string[];
  class_type: string;
}

export interface ImageRef {
  filename: string;
  subfolder: string;
  type: "output" | "temp" | "input";
}

/** What an output node shows: images (SaveImage, PreviewImage), latents (SaveLatent) or text (PreviewAny). */
export type NodeUiOutput = { images: ImageRef[] } | { latents: ImageRef[] } | { text: string[] };

export type StatusMessage = [string, Record<string, unknown>];

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, NodeUiOutput>;
  status: { status_str: "success" | "error"; completed: boolean; messages: StatusMessage[] };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

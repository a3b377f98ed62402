/**
 * Runs one validated prompt the way ComfyUI's PromptExecutor does: a topological walk from the
 * output nodes, `executing`/`progress`/`executed` events, status messages for history, and the
 * execution_error / execution_interrupted paths. Node "work" is a small dataflow interpreter whose
 * samplers take real time per step and whose image nodes write real PNGs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { SAMPLER_CLASSES } from "./catalog";
import type { ComfyFolders } from "./folders";
import { withTextChunks } from "./png-text";
import { renderPicture, renderPreview, type PictureSpec } from "./render";
import type { ImageRef, InjectedFailure, NodeLink, NodeUiOutput, PromptGraph, QueueItem, RunOutcome, StatusMessage } from "./types";

/**
 * Where a message goes, following server.py's send_sync(event, data, client_id): "client" events
 * (execution_start/cached/success/error, executing, executed) are sent only when the prompt has a
 * client_id; "addressed" ones (progress, progress_state, previews, execution_interrupted) go to the
 * client's socket, or to every socket when there is no client_id.
 */
export type Delivery = "client" | "addressed";

export interface ExecutionHooks {
  folders: ComfyFolders;
  cache: OutputCache;
  stepMs(): number;
  stepsOverride?: number;
  failure?: InjectedFailure;
  interrupted(): boolean;
  alive(): boolean;
  emit(event: string, data: Record<string, unknown>, delivery: Delivery): void;
  /** Whether the client's socket negotiated supports_preview_metadata (asked at every preview, like upstream). */
  previewsWithMetadata(): boolean;
  /** A binary preview frame: event 1 (legacy) or event 4 (with metadata), chosen by the caller's flag. */
  preview(jpeg: Buffer, step: number, metadata: PreviewMetadata | undefined): void;
  executingNode(nodeId: string | null): void;
  stepDone(): void;
  /** Brings a checkpoint into VRAM before sampling with it (takes the load time when it is not there). */
  useModel(checkpoint: string): Promise<void>;
}

export interface PreviewMetadata {
  node_id: string;
  prompt_id: string;
  display_node_id: string;
  parent_node_id: null;
  real_node_id: string;
}

export interface ExecutionResult {
  outcome: RunOutcome;
  outputs: Record<string, NodeUiOutput>;
  messages: StatusMessage[];
}

/** Thrown when the simulated process dies mid-run: nothing more may be sent or recorded. */
export class ProcessKilled extends Error {}

class Interrupted extends Error {}

class NodeFailure extends Error {
  constructor(message: string, readonly exceptionType: string) {
    super(message);
  }
}

const DEFAULT_FAILURE = { message: "Allocation on device ", type: "torch.OutOfMemoryError" };

/** Without a message it is the error real GPUs produce most: running out of VRAM. */
function injectedFailure(failure: InjectedFailure): NodeFailure {
  return failure.message ? new NodeFailure(failure.message, "RuntimeError") : new NodeFailure(DEFAULT_FAILURE.message, DEFAULT_FAILURE.type);
}

interface ModelValue { kind: "model"; checkpoint: string; loras: string[] }
interface ConditioningValue { kind: "conditioning"; text: string }
interface LatentValue { kind: "latent"; width: number; height: number; batch: number; picture?: PictureSpec }
interface ImageValue { kind: "image"; width: number; height: number; batch: number; picture: PictureSpec }
interface TextValue { kind: "text"; text: string }
export type NodeValue = ModelValue | ConditioningValue | LatentValue | ImageValue | TextValue | { kind: "other" };

const PREVIEW_CHARS = "abcdefghijklmnopqrstupvxyz";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isLink(value: unknown): value is NodeLink {
  return Array.isArray(value) && value.length === 2;
}

/**
 * ComfyUI's node output cache (CacheType.CLASSIC): keyed by each node's input signature (class,
 * literal inputs, and recursively the signatures of linked nodes), and after every prompt only the
 * entries that prompt used survive. So re-running an identical graph runs nothing: every node is in
 * `execution_cached`, output nodes replay their old `executed` output, and no new file is written.
 */
export class OutputCache {
  private entries = new Map<string, { values: NodeValue[]; ui?: NodeUiOutput }>();

  /** Signatures of every node of the prompt; LoadImage's includes the file's content, like its IS_CHANGED. */
  signatures(prompt: PromptGraph, folders: ComfyFolders): Map<string, string> {
    const out = new Map<string, string>();
    const visiting = new Set<string>();
    const sign = (id: string): string => {
      const known = out.get(id);
      if (known !== undefined) return known;
      const node = prompt[id];
      if (!node || visiting.has(id)) return `missing:${id}`;
      visiting.add(id);
      const inputs: Record<string, unknown> = {};
      for (const name of Object.keys(node.inputs ?? {}).sort()) {
        const value = node.inputs[name];
        inputs[name] = isLink(value) ? { link: sign(String(value[0])), slot: value[1] } : value;
      }
      let changed = "";
      if (node.class_type === "LoadImage") {
        try {
          changed = String(Bun.hash(readFileSync(path.join(folders.input, String(node.inputs.image)))));
        } catch {
          changed = "absent";
        }
      }
      const signature = JSON.stringify([node.class_type, inputs, changed]);
      visiting.delete(id);
      out.set(id, signature);
      return signature;
    };
    for (const id of Object.keys(prompt)) sign(id);
    return out;
  }

  /** set_prompt + clean_unused: forget whatever the new prompt does not use. */
  keepOnly(signatures: Iterable<string>): void {
    const keep = new Set(signatures);
    for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.entries.delete(key);
  }

  get(signature: string): { values: NodeValue[]; ui?: NodeUiOutput } | undefined {
    return this.entries.get(signature);
  }

  set(signature: string, values: NodeValue[], ui: NodeUiOutput | undefined): void {
    this.entries.set(signature, { values, ui });
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * comfy_execution/graph.py's ExecutionList: nodes are collected depth-first from each output
 * (skipping cached inputs), and among the ready ones ux_friendly_pick_node runs output nodes
 * first, then nodes feeding an output, then nodes two steps from one, else the first collected.
 */
class ExecutionList {
  private readonly pending = new Map<string, true>();
  private readonly blockCount = new Map<string, number>();
  private readonly blocking = new Map<string, Map<string, true>>();

  constructor(
    private readonly prompt: PromptGraph,
    private readonly isCached: (id: string) => boolean,
    private readonly isOutput: (id: string) => boolean,
  ) {}

  add(root: string): void {
    const stack = [root];
    const links: Array<[string, string]> = [];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (this.pending.has(id)) continue;
      this.pending.set(id, true);
      this.blockCount.set(id, 0);
      this.blocking.set(id, new Map());
      for (const value of Object.values(this.prompt[id]?.inputs ?? {})) {
        if (!isLink(value)) continue;
        const from = String(value[0]);
        if (this.isCached(from)) continue;
        stack.push(from);
        links.push([from, id]);
      }
    }
    for (const [from, to] of links) {
      const blocked = this.blocking.get(from);
      if (!blocked || blocked.has(to)) continue;
      blocked.set(to, true);
      this.blockCount.set(to, (this.blockCount.get(to) ?? 0) + 1);
    }
  }

  next(): string | undefined {
    const ready = [...this.pending.keys()].filter((id) => this.blockCount.get(id) === 0);
    if (ready.length === 0) return undefined;
    const feeds = (id: string) => [...(this.blocking.get(id)?.keys() ?? [])];
    return (
      ready.find((id) => this.isOutput(id)) ??
      ready.find((id) => feeds(id).some((to) => this.isOutput(to))) ??
      ready.find((id) => feeds(id).some((to) => feeds(to).some((next) => this.isOutput(next)))) ??
      ready[0]
    );
  }

  complete(id: string): void {
    this.pending.delete(id);
    for (const to of this.blocking.get(id)?.keys() ?? []) this.blockCount.set(to, (this.blockCount.get(to) ?? 1) - 1);
  }
}

type NodeState = { value: number; max: number; state: "running" | "finished" };

/** comfy_execution/progress.py's registry: every started node's state, resent whole on each change. */
class ProgressRegistry {
  private readonly nodes = new Map<string, NodeState>();

  constructor(
    private readonly promptId: string,
    private readonly emit: ExecutionHooks["emit"],
  ) {}

  start(nodeId: string): void {
    this.nodes.set(nodeId, { value: 0, max: 1, state: "running" });
    this.send();
  }

  update(nodeId: string, value: number, max: number): void {
    this.nodes.set(nodeId, { value, max, state: "running" });
    this.send();
  }

  finish(nodeId: string): void {
    const entry = this.nodes.get(nodeId) ?? { value: 0, max: 1, state: "finished" };
    this.nodes.set(nodeId, { value: entry.max, max: entry.max, state: "finished" });
    this.send();
  }

  private send(): void {
    const nodes: Record<string, unknown> = {};
    for (const [nodeId, state] of this.nodes) {
      nodes[nodeId] = { ...state, node_id: nodeId, prompt_id: this.promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId };
    }
    this.emit("progress_state", { prompt_id: this.promptId, nodes }, "addressed");
  }
}

function timestamp(): number {
  return Date.now();
}

export async function executePrompt(item: QueueItem, hooks: ExecutionHooks, isOutputClass: (classType: string) => boolean): Promise<ExecutionResult> {
  const [, promptId, prompt, extraData, outputsToExecute] = item;
  const messages: StatusMessage[] = [];
  const values = new Map<string, NodeValue[]>();
  const ui = new Map<string, NodeUiOutput>();
  const executed: string[] = [];

  // execution.py's add_message: always into history, onto the wire only with a client_id (or when broadcast).
  const message = (event: string, data: Record<string, unknown>, delivery: Delivery) => {
    const stamped = { ...data, timestamp: timestamp() };
    messages.push([event, stamped]);
    hooks.emit(event, stamped, delivery);
  };
  const checkAlive = () => {
    if (!hooks.alive()) throw new ProcessKilled();
  };

  message("execution_start", { prompt_id: promptId }, "client");
  const signatures = hooks.cache.signatures(prompt, hooks.folders);
  hooks.cache.keepOnly(signatures.values());
  // An armed failure must fail this prompt, so it runs cold, as if its cache had been evicted.
  if (hooks.failure) hooks.cache.clear();
  const cachedAtStart = Object.keys(prompt).filter((id) => hooks.cache.get(signatures.get(id) ?? "") !== undefined);
  message("execution_cached", { nodes: cachedAtStart, prompt_id: promptId }, "client");
  const isCached = (id: string) => hooks.cache.get(signatures.get(id) ?? "") !== undefined;

  const progress = new ProgressRegistry(promptId, hooks.emit);
  const list = new ExecutionList(prompt, isCached, (id) => isOutputClass(prompt[id]?.class_type ?? ""));
  for (const output of outputsToExecute) list.add(output);
  const failAt = pickFailingNode(prompt, Object.keys(prompt).filter((id) => !isCached(id)), hooks.failure);
  let currentNode: string | undefined;

  try {
    for (let nodeId = list.next(); nodeId !== undefined; nodeId = list.next()) {
      currentNode = nodeId;
      const signature = signatures.get(nodeId) ?? "";
      const hit = hooks.cache.get(signature);
      if (hit) {
        // A cached output node replays its old UI output; nothing runs and no file is written.
        values.set(nodeId, hit.values);
        if (hit.ui) ui.set(nodeId, hit.ui);
        hooks.emit("executed", { node: nodeId, display_node: nodeId, output: hit.ui ?? null, prompt_id: promptId }, "client");
        progress.finish(nodeId);
        list.complete(nodeId);
        continue;
      }
      for (const value of Object.values(prompt[nodeId]?.inputs ?? {})) {
        if (isLink(value) && !values.has(String(value[0]))) {
          const source = hooks.cache.get(signatures.get(String(value[0])) ?? "");
          if (source) values.set(String(value[0]), source.values);
        }
      }
      progress.start(nodeId);
      hooks.executingNode(nodeId);
      hooks.emit("executing", { node: nodeId, display_node: nodeId, prompt_id: promptId }, "client");
      // Interrupts are noticed when a node starts (or at a sampler's next step), after `executing`.
      if (hooks.interrupted()) throw new Interrupted();
      const nodeUi = await runNode(nodeId, prompt, values, {
        promptId,
        extraData,
        hooks,
        progress,
        fail: nodeId === failAt ? hooks.failure : undefined,
        checkAlive,
      });
      checkAlive();
      hooks.cache.set(signature, values.get(nodeId) ?? [], nodeUi);
      if (nodeUi) {
        ui.set(nodeId, nodeUi);
        hooks.emit("executed", { node: nodeId, display_node: nodeId, output: nodeUi, prompt_id: promptId }, "client");
      }
      progress.finish(nodeId);
      executed.push(nodeId);
      list.complete(nodeId);
    }
    message("execution_success", { prompt_id: promptId }, "client");
    return { outcome: "success", outputs: Object.fromEntries(ui), messages };
  } catch (ex) {
    if (ex instanceof ProcessKilled) throw ex;
    const nodeId = currentNode ?? "";
    const nodeType = prompt[nodeId]?.class_type ?? "";
    if (ex instanceof Interrupted) {
      message("execution_interrupted", { prompt_id: promptId, node_id: nodeId, node_type: nodeType, executed: [...executed] }, "addressed");
      return { outcome: "interrupted", outputs: Object.fromEntries(ui), messages };
    }
    const failure = ex instanceof NodeFailure ? ex : new NodeFailure(ex instanceof Error ? ex.message : String(ex), "Exception");
    message(
      "execution_error",
      {
        prompt_id: promptId,
        node_id: nodeId,
        node_type: nodeType,
        executed: [...executed],
        exception_message: failure.message,
        exception_type: failure.exceptionType,
        traceback: [
          `  File "/ComfyUI/execution.py", line 496, in execute\n    output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)\n`,
          `  File "/ComfyUI/nodes.py", line 1525, in sample\n    return common_ksampler(model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=denoise)\n`,
        ],
        current_inputs: describeInputs(prompt, nodeId, extraData),
        // execution.py reads the output cache's node ids, which cover every node of the prompt.
        current_outputs: Object.keys(prompt),
      },
      "client",
    );
    return { outcome: "error", outputs: Object.fromEntries(ui), messages };
  }
}

function pickFailingNode(prompt: PromptGraph, candidates: string[], failure: InjectedFailure | undefined): string | undefined {
  if (!failure) return undefined;
  if (failure.nodeType) {
    const match = candidates.find((id) => prompt[id]?.class_type === failure.nodeType);
    if (match) return match;
  }
  return candidates.find((id) => SAMPLER_CLASSES.has(prompt[id]?.class_type ?? "")) ?? candidates[candidates.length - 1];
}

/**
 * execution.py formats current_inputs as a list of values per input, hidden inputs included. Upstream
 * shows a link as the str() of what it carried (a tensor's repr) and `prompt` as a Python dict repr;
 * here a link is named and the prompt is JSON, which keeps the keys clients can rely on.
 */
function describeInputs(prompt: PromptGraph, nodeId: string, extraData: Record<string, unknown>): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(prompt[nodeId]?.inputs ?? {})) out[name] = [isLink(value) ? `<output ${value[1]} of node ${value[0]}>` : value];
  const classType = prompt[nodeId]?.class_type ?? "";
  if (classType === "SaveImage" || classType === "PreviewImage") {
    out.prompt = [JSON.stringify(prompt)];
    out.extra_pnginfo = [extraData.extra_pnginfo ?? null];
  }
  return out;
}

interface NodeRun {
  promptId: string;
  extraData: Record<string, unknown>;
  hooks: ExecutionHooks;
  progress: ProgressRegistry;
  fail: InjectedFailure | undefined;
  checkAlive(): void;
}

function input<T extends NodeValue["kind"]>(
  prompt: PromptGraph,
  values: Map<string, NodeValue[]>,
  nodeId: string,
  name: string,
  kind: T,
): Extract<NodeValue, { kind: T }> {
  const link = prompt[nodeId]?.inputs[name];
  if (!isLink(link)) throw new NodeFailure(`input ${name} is not linked`, "ValueError");
  const value = values.get(String(link[0]))?.[Number(link[1])];
  if (!value || value.kind !== kind) throw new NodeFailure(`input ${name} did not receive a ${kind}`, "TypeError");
  return value as Extract<NodeValue, { kind: T }>;
}

async function runNode(nodeId: string, prompt: PromptGraph, values: Map<string, NodeValue[]>, run: NodeRun): Promise<NodeUiOutput | undefined> {
  const node = prompt[nodeId];
  if (!node) throw new NodeFailure(`'${nodeId}'`, "KeyError");
  const raw = node.inputs;
  const num = (name: string, fallback: number) => (raw[name] === undefined ? fallback : Number(raw[name]));
  const linked = <T extends NodeValue["kind"]>(name: string, kind: T) => input(prompt, values, nodeId, name, kind);
  // Samplers fail halfway through their steps instead, so clients see progress before the error.
  if (run.fail && !SAMPLER_CLASSES.has(node.class_type)) throw injectedFailure(run.fail);

  switch (node.class_type) {
    case "CheckpointLoaderSimple": {
      const checkpoint = String(raw.ckpt_name);
      values.set(nodeId, [{ kind: "model", checkpoint, loras: [] }, { kind: "model", checkpoint, loras: [] }, { kind: "other" }]);
      return undefined;
    }
    case "LoraLoader": {
      const model = linked("model", "model");
      const clip = linked("clip", "model");
      const lora = String(raw.lora_name);
      values.set(nodeId, [
        { ...model, loras: [...model.loras, lora] },
        { ...clip, loras: [...clip.loras, lora] },
      ]);
      return undefined;
    }
    case "CLIPTextEncode":
      values.set(nodeId, [{ kind: "conditioning", text: String(raw.text) }]);
      return undefined;
    case "EmptyLatentImage":
      values.set(nodeId, [{ kind: "latent", width: num("width", 512), height: num("height", 512), batch: num("batch_size", 1) }]);
      return undefined;
    case "KSampler":
    case "KSamplerAdvanced": {
      const model = linked("model", "model");
      const positive = linked("positive", "conditioning");
      const latent = linked("latent_image", "latent");
      const advanced = node.class_type === "KSamplerAdvanced";
      const seed = num(advanced ? "noise_seed" : "seed", 0);
      const requested = num("steps", 20);
      const planned = advanced
        ? Math.max(0, Math.min(num("end_at_step", 10000), requested) - num("start_at_step", 0))
        : requested;
      const steps = run.hooks.stepsOverride ?? planned;
      const picture: PictureSpec = {
        width: latent.width,
        height: latent.height,
        seed,
        positive: latent.picture ? `${positive.text}\u0000${latent.picture.positive}\u0000${latent.picture.seed}` : positive.text,
        checkpoint: model.checkpoint,
        loras: model.loras,
      };
      // Like comfy's load_models_gpu: the model moves into VRAM when a sampler needs it.
      await run.hooks.useModel(model.checkpoint);
      run.checkAlive();
      await sample(nodeId, steps, picture, run);
      values.set(nodeId, [{ ...latent, picture }]);
      return undefined;
    }
    case "VAEDecode": {
      const latent = linked("samples", "latent");
      const picture = latent.picture ?? { width: latent.width, height: latent.height, seed: 0, positive: "", checkpoint: "", loras: [] };
      values.set(nodeId, [{ kind: "image", width: latent.width, height: latent.height, batch: latent.batch, picture }]);
      return undefined;
    }
    case "VAEEncode": {
      const image = linked("pixels", "image");
      values.set(nodeId, [{ kind: "latent", width: image.width, height: image.height, batch: image.batch, picture: image.picture }]);
      return undefined;
    }
    case "LoadImage": {
      const name = String(raw.image);
      const file = path.join(run.hooks.folders.input, name);
      let meta: { width?: number; height?: number };
      try {
        meta = await sharp(readFileSync(file)).metadata();
      } catch {
        throw new NodeFailure(`[Errno 2] No such file or directory: '${file}'`, "FileNotFoundError");
      }
      const width = meta.width ?? 512;
      const height = meta.height ?? 512;
      const picture: PictureSpec = { width, height, seed: Number(BigInt.asUintN(32, BigInt(Bun.hash(name)))), positive: name, checkpoint: "", loras: [] };
      values.set(nodeId, [{ kind: "image", width, height, batch: 1, picture }, { kind: "other" }]);
      return undefined;
    }
    case "UNETLoader": {
      const checkpoint = String(raw.unet_name);
      values.set(nodeId, [{ kind: "model", checkpoint, loras: [] }]);
      return undefined;
    }
    case "LotusConditioning":
      values.set(nodeId, [{ kind: "conditioning", text: "" }]);
      return undefined;
    case "VAELoader":
      values.set(nodeId, [{ kind: "other" }]);
      return undefined;
    case "EmptyImage": {
      const width = num("width", 512);
      const height = num("height", 512);
      const picture: PictureSpec = { width, height, seed: num("color", 0), positive: "", checkpoint: "", loras: [] };
      values.set(nodeId, [{ kind: "image", width, height, batch: num("batch_size", 1), picture }]);
      return undefined;
    }
    case "ImageScale": {
      // comfy_extras ImageScale: a 0 side follows the other one's scale; the pixels are resampled.
      const image = linked("image", "image");
      let width = num("width", 512);
      let height = num("height", 512);
      if (width === 0 && height === 0) ({ width, height } = image);
      else if (width === 0) width = Math.max(1, Math.round((image.width * height) / image.height));
      else if (height === 0) height = Math.max(1, Math.round((image.height * width) / image.width));
      values.set(nodeId, [{ ...image, width, height, picture: { ...image.picture, width, height } }]);
      return undefined;
    }
    case "ImageAddNoise":
    case "ImageBlur":
    case "ImageSharpen": {
      const image = linked("image", "image");
      // Pixel filters take real time on the CPU (about a second each at 1024² upstream) and, having
      // no progress hook, only notice an interrupt when the next node starts.
      await sleep(run.hooks.stepMs());
      run.checkAlive();
      const picture: PictureSpec = { ...image.picture, positive: `${image.picture.positive}\u0000${node.class_type}:${JSON.stringify(raw.seed ?? raw.sigma ?? "")}` };
      values.set(nodeId, [{ ...image, picture }]);
      return undefined;
    }
    case "StringConcatenate":
      values.set(nodeId, [{ kind: "text", text: [String(raw.string_a ?? ""), String(raw.string_b ?? "")].join(String(raw.delimiter ?? "")) }]);
      return undefined;
    case "PreviewAny": {
      const link = raw.source;
      const value = isLink(link) ? values.get(String(link[0]))?.[Number(link[1])] : undefined;
      return { text: [value?.kind === "text" ? value.text : JSON.stringify(value ?? null)] };
    }
    case "SaveLatent": {
      // The latent itself is a safetensors file upstream; here a stand-in that names what made it.
      const latent = linked("samples", "latent");
      const target = run.hooks.folders.savePath(String(raw.filename_prefix ?? "latents/ComfyUI"));
      const file = `${target.filename}_${String(target.counter).padStart(5, "0")}_.latent`;
      await Bun.write(path.join(target.folder, file), JSON.stringify({ latent_format_version_0: [latent.width / 8, latent.height / 8], picture: latent.picture ?? null }));
      return { latents: [{ filename: file, subfolder: target.subfolder, type: "output" }] };
    }
    case "SaveImage":
      return { images: await saveImages(linked("images", "image"), String(raw.filename_prefix ?? "ComfyUI"), prompt, run, "output") };
    case "PreviewImage": {
      let suffix = "";
      for (let i = 0; i < 5; i++) suffix += PREVIEW_CHARS[Math.floor(Math.random() * PREVIEW_CHARS.length)];
      return { images: await saveImages(linked("images", "image"), `ComfyUI_temp_${suffix}`, prompt, run, "temp") };
    }
    default:
      throw new NodeFailure(`'${node.class_type}'`, "KeyError");
  }
}

/**
 * One step per `stepMs`. Each step is what comfy's progress hook does: stop here if interrupted,
 * `progress_state`, then `progress`, and a binary preview, which is event 4 before `progress` when
 * the client negotiated supports_preview_metadata and event 1 after it otherwise.
 */
async function sample(nodeId: string, steps: number, picture: PictureSpec, run: NodeRun): Promise<void> {
  const { hooks, promptId } = run;
  // A preview goes out every step, as upstream's do, but only two are drawn per sampler; the other
  // steps resend the last one, so clients see real frame traffic without the CPU cost of drawing.
  const drawEvery = Math.max(1, Math.ceil(steps / 2));
  let jpeg: Buffer | undefined;
  const failAfter = run.fail ? Math.floor(steps / 2) : Number.POSITIVE_INFINITY;
  for (let step = 1; step <= steps; step++) {
    if (run.fail && step > failAfter) throw injectedFailure(run.fail);
    await sleep(hooks.stepMs());
    run.checkAlive();
    if (hooks.interrupted()) throw new Interrupted();
    hooks.stepDone();
    if (jpeg === undefined || (step - 1) % drawEvery === 0) {
      jpeg = await renderPreview(picture, step / steps);
      run.checkAlive();
    }
    run.progress.update(nodeId, step, steps);
    const withMetadata = hooks.previewsWithMetadata();
    if (withMetadata) hooks.preview(jpeg, step, { node_id: nodeId, prompt_id: promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId });
    hooks.emit("progress", { value: step, max: steps, prompt_id: promptId, node: nodeId }, "addressed");
    if (!withMetadata) hooks.preview(jpeg, step, undefined);
  }
  if (run.fail) throw injectedFailure(run.fail);
}

/** SaveImage.save_images: `<prefix>_<counter:05>_.png`, the graph embedded as `prompt` plus extra_pnginfo keys. */
async function saveImages(image: ImageValue, filenamePrefix: string, prompt: PromptGraph, run: NodeRun, type: "output" | "temp"): Promise<ImageRef[]> {
  const folders = run.hooks.folders;
  const target = folders.savePath(filenamePrefix, type === "output" ? folders.output : folders.temp);
  const extra = run.extraData.extra_pnginfo;
  const text: Record<string, string> = { prompt: JSON.stringify(prompt) };
  if (extra && typeof extra === "object") for (const [key, value] of Object.entries(extra)) text[key] = JSON.stringify(value);
  const refs: ImageRef[] = [];
  let counter = target.counter;
  for (let batchIndex = 0; batchIndex < image.batch; batchIndex++) {
    const png = withTextChunks(await renderPicture({ ...image.picture, width: image.width, height: image.height }, batchIndex), text);
    run.checkAlive();
    const name = target.filename.replaceAll("%batch_num%", String(batchIndex));
    const file = `${name}_${String(counter).padStart(5, "0")}_.png`;
    await Bun.write(path.join(target.folder, file), png);
    refs.push({ filename: file, subfolder: target.subfolder, type });
    counter++;
  }
  return refs;
}

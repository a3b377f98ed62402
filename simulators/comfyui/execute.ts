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

/** How events reach sockets: add_message events with broadcast=false are dropped when no client_id was given. */
export type Delivery = "always" | "client-only";

export interface ExecutionHooks {
  folders: ComfyFolders;
  stepMs(): number;
  stepsOverride?: number;
  failure?: InjectedFailure;
  interrupted(): boolean;
  alive(): boolean;
  emit(event: string, data: Record<string, unknown>, delivery: Delivery): void;
  preview(jpeg: Buffer): void;
  executingNode(nodeId: string | null): void;
  stepDone(): void;
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
type NodeValue = ModelValue | ConditioningValue | LatentValue | ImageValue | { kind: "other" };

const PREVIEW_CHARS = "abcdefghijklmnopqrstupvxyz";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isLink(value: unknown): value is NodeLink {
  return Array.isArray(value) && value.length === 2;
}

/** Output nodes first-to-last, each preceded by everything it depends on. */
function executionOrder(prompt: PromptGraph, outputs: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const value of Object.values(prompt[id]?.inputs ?? {})) if (isLink(value)) visit(String(value[0]));
    order.push(id);
  };
  for (const id of outputs) visit(id);
  return order;
}

function timestamp(): number {
  return Date.now();
}

export async function executePrompt(item: QueueItem, hooks: ExecutionHooks): Promise<ExecutionResult> {
  const [, promptId, prompt, extraData, outputsToExecute] = item;
  const messages: StatusMessage[] = [];
  const outputs: Record<string, NodeUiOutput> = {};
  const values = new Map<string, NodeValue[]>();
  const executed: string[] = [];

  const message = (event: string, data: Record<string, unknown>, delivery: Delivery) => {
    const stamped = { ...data, timestamp: timestamp() };
    messages.push([event, stamped]);
    hooks.emit(event, stamped, delivery);
  };
  const checkAlive = () => {
    if (!hooks.alive()) throw new ProcessKilled();
  };

  message("execution_start", { prompt_id: promptId }, "client-only");
  message("execution_cached", { nodes: [], prompt_id: promptId }, "client-only");

  const order = executionOrder(prompt, outputsToExecute);
  const failAt = pickFailingNode(prompt, order, hooks.failure);
  let currentNode: string | undefined;

  try {
    for (const nodeId of order) {
      currentNode = nodeId;
      if (hooks.interrupted()) throw new Interrupted();
      hooks.executingNode(nodeId);
      hooks.emit("executing", { node: nodeId, display_node: nodeId, prompt_id: promptId }, "always");
      const ui = await runNode(nodeId, prompt, values, {
        promptId,
        extraData,
        hooks,
        fail: nodeId === failAt ? hooks.failure : undefined,
        checkAlive,
      });
      checkAlive();
      executed.push(nodeId);
      if (ui) {
        outputs[nodeId] = ui;
        hooks.emit("executed", { node: nodeId, display_node: nodeId, output: ui, prompt_id: promptId }, "always");
      }
    }
    message("execution_success", { prompt_id: promptId }, "client-only");
    return { outcome: "success", outputs, messages };
  } catch (ex) {
    if (ex instanceof ProcessKilled) throw ex;
    const nodeId = currentNode ?? "";
    const nodeType = prompt[nodeId]?.class_type ?? "";
    if (ex instanceof Interrupted) {
      message("execution_interrupted", { prompt_id: promptId, node_id: nodeId, node_type: nodeType, executed: [...executed] }, "always");
      return { outcome: "interrupted", outputs, messages };
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
        current_inputs: describeInputs(prompt, nodeId),
        current_outputs: [...executed],
      },
      "client-only",
    );
    return { outcome: "error", outputs, messages };
  }
}

function pickFailingNode(prompt: PromptGraph, order: string[], failure: InjectedFailure | undefined): string | undefined {
  if (!failure) return undefined;
  if (failure.nodeType) {
    const match = order.find((id) => prompt[id]?.class_type === failure.nodeType);
    if (match) return match;
  }
  return order.find((id) => SAMPLER_CLASSES.has(prompt[id]?.class_type ?? "")) ?? order[order.length - 1];
}

/** execution.py formats current_inputs as lists of values per input name. */
function describeInputs(prompt: PromptGraph, nodeId: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [name, value] of Object.entries(prompt[nodeId]?.inputs ?? {})) out[name] = [isLink(value) ? "<linked>" : value];
  return out;
}

interface NodeRun {
  promptId: string;
  extraData: Record<string, unknown>;
  hooks: ExecutionHooks;
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

/** One step per `stepMs`, a progress event each, and a binary JPEG preview every few steps. */
async function sample(nodeId: string, steps: number, picture: PictureSpec, run: NodeRun): Promise<void> {
  const { hooks, promptId } = run;
  // Two previews per prompt are enough to exercise a client's binary-frame handling; more would
  // only burn the CPU that the real GPU would have spent, skewing benchmarks on one machine.
  const previewEvery = Math.max(1, Math.ceil(steps / 2));
  const failAfter = run.fail ? Math.floor(steps / 2) : Number.POSITIVE_INFINITY;
  for (let step = 1; step <= steps; step++) {
    if (run.fail && step > failAfter) throw injectedFailure(run.fail);
    await sleep(hooks.stepMs());
    run.checkAlive();
    if (hooks.interrupted()) throw new Interrupted();
    hooks.stepDone();
    hooks.emit("progress", { value: step, max: steps, prompt_id: promptId, node: nodeId }, "always");
    if ((step - 1) % previewEvery === 0) {
      const jpeg = await renderPreview(picture, step / steps);
      run.checkAlive();
      hooks.preview(jpeg);
    }
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

/**
 * The node classes the simulated ComfyUI knows, read from ComfyUI 0.3.64's own `/object_info`
 * answers, so `/object_info`, prompt validation and execution agree with upstream and each other.
 */
import { OBJECT_INFO_0_3_64, type InputSpec, type ObjectInfoEntry } from "./object-info";

export type { InputSpec } from "./object-info";

export interface NodeClass {
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  hidden?: Record<string, string>;
  outputs: string[];
  outputNode: boolean;
  /** The class's `/object_info` entry, lists filled in. */
  info: ObjectInfoEntry;
}

export const CHECKPOINTS = [
  "sd_xl_base_1.0.safetensors",
  "dreamshaper_8.safetensors",
  "juggernautXL_v9.safetensors",
  "realisticVision_v51.safetensors",
];

export const LORAS = ["add_detail.safetensors", "film_grain_sdxl.safetensors", "pixel_art_xl.safetensors"];

/** UNETLoader's list; the tiny random-weight UNet is the one the 0.3.64 recordings ran. */
export const DIFFUSION_MODELS = ["flux1-dev.safetensors", "tiny_sd2_random.safetensors"];

/** VAELoader lists TAESD when its encoder and decoder files are present, and always `pixel_space`. */
export const VAES = ["sdxl_vae.safetensors", "taesd", "pixel_space"];

/** Sampler classes: the nodes that report per-step progress and previews. */
export const SAMPLER_CLASSES = new Set(["KSampler", "KSamplerAdvanced"]);

/** Which input of which class lists files of this instance. */
/** Models installed besides the built-in ones (files written into the instance's models folder). */
export interface InstalledModels {
  checkpoints?: string[];
  loras?: string[];
}

const FILE_LISTS: Record<string, Record<string, (inputImages: string[], installed: InstalledModels) => string[]>> = {
  CheckpointLoaderSimple: { ckpt_name: (_, installed) => [...new Set([...CHECKPOINTS, ...(installed.checkpoints ?? [])])] },
  LoraLoader: { lora_name: (_, installed) => [...new Set([...LORAS, ...(installed.loras ?? [])])] },
  UNETLoader: { unet_name: () => DIFFUSION_MODELS },
  VAELoader: { vae_name: () => VAES },
  LoadImage: { image: (inputImages) => inputImages },
};

function withList(spec: InputSpec, list: string[]): InputSpec {
  return spec.length === 2 ? [list, spec[1]] : [list];
}

/**
 * The catalog depends on which files sit in the input folder, like ComfyUI's LoadImage list, and on
 * the models installed besides the built-in ones.
 */
export function nodeCatalog(inputImages: string[], installed: InstalledModels = {}): Record<string, NodeClass> {
  const out: Record<string, NodeClass> = {};
  for (const [name, entry] of Object.entries(OBJECT_INFO_0_3_64)) {
    const lists = FILE_LISTS[name] ?? {};
    const required = Object.fromEntries(
      Object.entries(entry.input.required).map(([input, spec]) => [input, lists[input] ? withList(spec, lists[input](inputImages, installed)) : spec]),
    );
    const info: ObjectInfoEntry = { ...entry, input: { ...entry.input, required } };
    out[name] = { required, optional: entry.input.optional, hidden: entry.input.hidden, outputs: entry.output, outputNode: entry.output_node, info };
  }
  return out;
}

/** One class in `/object_info`'s shape. */
export function objectInfo(_name: string, node: NodeClass): Record<string, unknown> {
  return node.info;
}

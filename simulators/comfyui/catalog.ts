/**
 * The node classes the simulated ComfyUI knows, described the way ComfyUI's nodes.py declares them,
 * so `/object_info` and prompt validation read from one source.
 */

/** `["INT", { min, max }]` for primitives and links, `[["a", "b"], {}]` for combos. */
export type InputSpec = [string | string[], Record<string, unknown>?];

export interface NodeClass {
  required: Record<string, InputSpec>;
  optional?: Record<string, InputSpec>;
  hidden?: Record<string, string>;
  outputs: string[];
  outputNames?: string[];
  outputNode: boolean;
  displayName: string;
  category: string;
  description: string;
}

export const CHECKPOINTS = [
  "sd_xl_base_1.0.safetensors",
  "dreamshaper_8.safetensors",
  "juggernautXL_v9.safetensors",
  "realisticVision_v51.safetensors",
];

export const LORAS = ["add_detail.safetensors", "film_grain_sdxl.safetensors", "pixel_art_xl.safetensors"];

export const SAMPLERS = [
  "euler", "euler_cfg_pp", "euler_ancestral", "euler_ancestral_cfg_pp", "heun", "heunpp2", "dpm_2", "dpm_2_ancestral",
  "lms", "dpm_fast", "dpm_adaptive", "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_cfg_pp", "dpmpp_sde", "dpmpp_sde_gpu",
  "dpmpp_2m", "dpmpp_2m_cfg_pp", "dpmpp_2m_sde", "dpmpp_2m_sde_gpu", "dpmpp_3m_sde", "dpmpp_3m_sde_gpu", "ddpm", "lcm",
  "ipndm", "ipndm_v", "deis", "res_multistep", "res_multistep_cfg_pp", "gradient_estimation", "er_sde", "seeds_2",
  "seeds_3", "ddim", "uni_pc", "uni_pc_bh2",
];

export const SCHEDULERS = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal", "linear_quadratic", "kl_optimal"];

/** Sampler classes: the nodes that report per-step progress and previews. */
export const SAMPLER_CLASSES = new Set(["KSampler", "KSamplerAdvanced"]);

const MAX_SEED = 0xffffffffffffffff;
const MAX_RESOLUTION = 16384;

const seed: InputSpec = ["INT", { default: 0, min: 0, max: MAX_SEED, control_after_generate: true }];
const steps: InputSpec = ["INT", { default: 20, min: 1, max: 10000 }];
const cfg: InputSpec = ["FLOAT", { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }];
const strength: InputSpec = ["FLOAT", { default: 1.0, min: -100.0, max: 100.0, step: 0.01 }];
const dimension: InputSpec = ["INT", { default: 512, min: 16, max: MAX_RESOLUTION, step: 8 }];

/**
 * The catalog depends on which files sit in the input folder, like ComfyUI's LoadImage list, and on
 * the models installed besides the built-in ones.
 */
export function nodeCatalog(inputImages: string[], installed: { checkpoints?: string[]; loras?: string[] } = {}): Record<string, NodeClass> {
  const checkpoints = [...new Set([...CHECKPOINTS, ...(installed.checkpoints ?? [])])];
  const loras = [...new Set([...LORAS, ...(installed.loras ?? [])])];
  return {
    CheckpointLoaderSimple: {
      required: { ckpt_name: [checkpoints, { tooltip: "The name of the checkpoint (model) to load." }] },
      outputs: ["MODEL", "CLIP", "VAE"],
      outputNode: false,
      displayName: "Load Checkpoint",
      category: "loaders",
      description: "Loads a diffusion model checkpoint.",
    },
    LoraLoader: {
      required: {
        model: ["MODEL"],
        clip: ["CLIP"],
        lora_name: [loras],
        strength_model: strength,
        strength_clip: strength,
      },
      outputs: ["MODEL", "CLIP"],
      outputNode: false,
      displayName: "Load LoRA",
      category: "loaders",
      description: "LoRAs modify diffusion and CLIP models.",
    },
    CLIPTextEncode: {
      required: { text: ["STRING", { multiline: true, dynamicPrompts: true }], clip: ["CLIP"] },
      outputs: ["CONDITIONING"],
      outputNode: false,
      displayName: "CLIP Text Encode (Prompt)",
      category: "conditioning",
      description: "Encodes a text prompt into an embedding that guides the diffusion model.",
    },
    EmptyLatentImage: {
      required: { width: dimension, height: dimension, batch_size: ["INT", { default: 1, min: 1, max: 4096 }] },
      outputs: ["LATENT"],
      outputNode: false,
      displayName: "Empty Latent Image",
      category: "latent",
      description: "Create a new batch of empty latent images to be denoised via sampling.",
    },
    KSampler: {
      required: {
        model: ["MODEL"],
        seed,
        steps,
        cfg,
        sampler_name: [SAMPLERS],
        scheduler: [SCHEDULERS],
        positive: ["CONDITIONING"],
        negative: ["CONDITIONING"],
        latent_image: ["LATENT"],
        denoise: ["FLOAT", { default: 1.0, min: 0.0, max: 1.0, step: 0.01 }],
      },
      outputs: ["LATENT"],
      outputNode: false,
      displayName: "KSampler",
      category: "sampling",
      description: "Uses the provided model, positive and negative conditioning to denoise the latent image.",
    },
    KSamplerAdvanced: {
      required: {
        model: ["MODEL"],
        add_noise: [["enable", "disable"]],
        noise_seed: seed,
        steps,
        cfg,
        sampler_name: [SAMPLERS],
        scheduler: [SCHEDULERS],
        positive: ["CONDITIONING"],
        negative: ["CONDITIONING"],
        latent_image: ["LATENT"],
        start_at_step: ["INT", { default: 0, min: 0, max: 10000 }],
        end_at_step: ["INT", { default: 10000, min: 0, max: 10000 }],
        return_with_leftover_noise: [["disable", "enable"]],
      },
      outputs: ["LATENT"],
      outputNode: false,
      displayName: "KSampler (Advanced)",
      category: "sampling",
      description: "",
    },
    VAEDecode: {
      required: { samples: ["LATENT"], vae: ["VAE"] },
      outputs: ["IMAGE"],
      outputNode: false,
      displayName: "VAE Decode",
      category: "latent",
      description: "Decodes latent images back into pixel space images.",
    },
    VAEEncode: {
      required: { pixels: ["IMAGE"], vae: ["VAE"] },
      outputs: ["LATENT"],
      outputNode: false,
      displayName: "VAE Encode",
      category: "latent",
      description: "",
    },
    LoadImage: {
      required: { image: [inputImages, { image_upload: true }] },
      outputs: ["IMAGE", "MASK"],
      outputNode: false,
      displayName: "Load Image",
      category: "image",
      description: "",
    },
    SaveImage: {
      required: { images: ["IMAGE"], filename_prefix: ["STRING", { default: "ComfyUI" }] },
      hidden: { prompt: "PROMPT", extra_pnginfo: "EXTRA_PNGINFO" },
      outputs: [],
      outputNode: true,
      displayName: "Save Image",
      category: "image",
      description: "Saves the input images to your ComfyUI output directory.",
    },
    PreviewImage: {
      required: { images: ["IMAGE"] },
      hidden: { prompt: "PROMPT", extra_pnginfo: "EXTRA_PNGINFO" },
      outputs: [],
      outputNode: true,
      displayName: "Preview Image",
      category: "image",
      description: "Saves the input images to your ComfyUI output directory.",
    },
  };
}

/** One class in `/object_info`'s shape. */
export function objectInfo(name: string, node: NodeClass): Record<string, unknown> {
  return {
    input: { required: node.required, ...(node.optional ? { optional: node.optional } : {}), ...(node.hidden ? { hidden: node.hidden } : {}) },
    input_order: { required: Object.keys(node.required), ...(node.optional ? { optional: Object.keys(node.optional) } : {}) },
    output: node.outputs,
    output_is_list: node.outputs.map(() => false),
    output_name: node.outputNames ?? node.outputs,
    name,
    display_name: node.displayName,
    description: node.description,
    python_module: "nodes",
    category: node.category,
    output_node: node.outputNode,
  };
}

/** Names of the built-in ComfyUI templates. Pure, so workflows may use them. */
export const BUILTIN_TEMPLATE = "builtin:default";
/** img2img from a reference picture (`{{reference_image}}`, a file in the instance's input folder). */
export const REFERENCE_TEMPLATE = "builtin:reference";

/** What a ComfyUI template's placeholders are filled with. */
export interface TemplateParams {
  prompt: string;
  negativePrompt: string;
  seed: number;
  width: number;
  height: number;
  /** For templates with `{{reference_image}}`: the picture's name in the instance's input folder. */
  referenceImage?: string;
  /**
   * A persona's reference picture on the worker's disk: the GPU worker puts it into its instance's
   * input folder as `referenceImage` (once per instance) before the prompt goes out.
   */
  referenceFile?: string;
  /** For templates with `{{lora}}` / `{{lora_weight}}`: the persona's LoRA file and its strength. */
  lora?: string;
  loraWeight?: number;
}

/** What a persona adds to every one of its jobs: its reference picture and LoRA, when it has them. */
export type PersonaIdentity = Pick<TemplateParams, "referenceImage" | "referenceFile" | "lora" | "loraWeight">;

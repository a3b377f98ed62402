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
}

/** Names of the built-in ComfyUI templates. Pure, so workflows may use them. */
export const BUILTIN_TEMPLATE = "builtin:default";
/** img2img from a reference picture (`{{reference_image}}`, a file in the instance's input folder). */
export const REFERENCE_TEMPLATE = "builtin:reference";

/** The image prompt when no LLM rewrites it: the description plus a photographic style. Pure, so workflows may use it. */
export const PHOTO_STYLE = "photo, natural light, detailed, high quality";

export function plainImagePrompt(description: string): string {
  return `${description}, ${PHOTO_STYLE}`;
}

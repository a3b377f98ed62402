/**
 * The text-to-image prompt for a request. Diffusion checkpoints follow English prompts best, so with
 * an LLM configured the description is rewritten as a short English prompt within the chat's budget;
 * otherwise (or when the LLM is slow or fails) the description itself is the prompt.
 */
import type { Language } from "../lib/language";
import { PHOTO_STYLE, plainImagePrompt } from "../domain/imagePrompt";
import type { Persona } from "./llm";
import { createChatCompletion, type ChatEndpoint } from "./llm/openai";

export interface ImagePromptInput {
  description: string;
  persona: Persona;
  language: Language;
}

export type AskLlm = (system: string, user: string, budgetMs: number) => Promise<string | undefined>;


export function createImagePromptActivities(deps: { askLlm?: AskLlm; budgetMs: number }) {
  return {
    async buildImagePrompt(input: ImagePromptInput): Promise<string> {
      const fallback = plainImagePrompt(input.description);
      if (!deps.askLlm) return fallback;
      const answer = await deps
        .askLlm(
          "You write prompts for a text-to-image model. Answer with one English prompt of at most 60 words: " +
            "subject, setting, lighting, framing. No quotes, no explanations.",
          `Character: ${input.persona.name} (${input.persona.personality}).\nRequested picture (${input.language}): ${input.description}`,
          deps.budgetMs,
        )
        .catch(() => undefined);
      const cleaned = answer?.replace(/\s+/g, " ").trim();
      return cleaned && cleaned.length <= 1000 ? `${cleaned}, ${PHOTO_STYLE}` : fallback;
    },
  };
}

/** Asks an OpenAI-compatible endpoint, giving up (undefined) when the budget runs out. */
export function llmAsker(endpoint: ChatEndpoint): AskLlm {
  return async (system, user, budgetMs) => {
    const answer = await createChatCompletion(
      endpoint,
      { messages: [{ role: "system", content: system }, { role: "user", content: user }], maxTokens: 120, temperature: 0.7 },
      AbortSignal.timeout(budgetMs),
    ).catch(() => undefined);
    return answer?.finishReason === "length" ? undefined : answer?.content;
  };
}

/**
 * In-character chat messages about a photo: "taking it now", "here it is", "sorry, it failed".
 * The LLM makes them sound like the persona; templates stand in whenever it is absent, slow or odd,
 * so the chat never waits longer than the budget and never sees an error.
 */
import type { Language } from "../../lib/language";
import { acceptLlmAnswer } from "./answer";
import { createChatCompletion, type ChatEndpoint } from "./openai";
import { buildMessagePrompt } from "./prompt";
import { inferTone, pickTemplate, type MessageKind } from "./templates";

import type { Persona } from "../../domain/messages";
import { activityLog } from "../log";

export type { MessageKind, Tone } from "./templates";
export { inferTone } from "./templates";

export type { Persona };

export interface ComposeMessageInput {
  kind: MessageKind;
  persona: Persona;
  description: string;
  language: Language;
  /** Same seed, same template variant: a retried or replayed step says the same thing. */
  variantSeed: string;
  etaSeconds?: number;
  errorHint?: string;
}

export interface ComposedMessage {
  content: string;
  source: "llm" | "template";
  language: Language;
}

export interface LlmActivitySettings {
  llm?: ChatEndpoint;
  /** Longest the LLM may take before the template answers instead. */
  budgetMs: number;
}

/** Enough for two short sentences in any of our languages (Cyrillic costs more tokens). */
const MAX_TOKENS = 120;
const TEMPERATURE = 0.8;

export function templateMessage(input: ComposeMessageInput): string {
  return pickTemplate(input.kind, input.language, inferTone(input.persona.personality), input.variantSeed);
}

class BudgetExceeded extends Error {
  override readonly name = "BudgetExceeded";
}

async function askLlm(endpoint: ChatEndpoint, input: ComposeMessageInput, budgetMs: number): Promise<string | null> {
  const budget = AbortSignal.timeout(budgetMs);
  // The abort stops the request; the race makes sure we return on time even if a body read ignores it.
  const deadline = new Promise<never>((_, reject) =>
    budget.addEventListener("abort", () => reject(new BudgetExceeded(`LLM took longer than ${budgetMs} ms`)), { once: true }),
  );
  deadline.catch(() => undefined);
  const answer = await Promise.race([
    createChatCompletion(endpoint, { messages: buildMessagePrompt(input), maxTokens: MAX_TOKENS, temperature: TEMPERATURE }, budget),
    deadline,
  ]);
  return acceptLlmAnswer(answer.content, answer.finishReason, { language: input.language, personaName: input.persona.name });
}

export interface LlmActivities {
  composeMessage(input: ComposeMessageInput): Promise<ComposedMessage>;
}

export function createLlmActivities(settings: LlmActivitySettings): LlmActivities {
  return {
    async composeMessage(input: ComposeMessageInput): Promise<ComposedMessage> {
      if (settings.llm) {
        try {
          const content = await askLlm(settings.llm, input, settings.budgetMs);
          if (content !== null) return { content, source: "llm", language: input.language };
        } catch (error) {
          // Expected trouble (down, slow, rate-limited): the template is the designed answer, so just note it.
          activityLog().warn({ error: error instanceof Error ? error.message : String(error) }, "composeMessage: LLM unavailable, using the template");
        }
      }
      return { content: templateMessage(input), source: "template", language: input.language };
    },
  };
}

/**
 * What we ask the LLM: speak as the persona, in the conversation's language, briefly, about the
 * photo that is on its way, ready, or lost.
 */
import type { Language } from "../../lib/language";
import type { ChatMessage } from "./openai";
import type { MessageKind } from "./templates";

export interface PromptPersona {
  name: string;
  personality: string;
}

export interface PromptInput {
  kind: MessageKind;
  persona: PromptPersona;
  description: string;
  language: Language;
  etaSeconds?: number;
  errorHint?: string;
}

/** English names, with the script where a language has more than one, so the model cannot guess wrong. */
const LANGUAGE_NAMES: Record<Language, string> = {
  es: "Spanish",
  en: "English",
  ru: "Russian",
  uk: "Ukrainian",
  fr: "French",
  de: "German",
  pt: "Portuguese",
  it: "Italian",
  pl: "Polish",
  tr: "Turkish",
  ja: "Japanese",
  zh: "Chinese (Simplified)",
  ko: "Korean",
};

/** Long descriptions add cost and latency without helping a two-sentence reply. */
const MAX_DESCRIPTION_IN_PROMPT = 300;

function clip(text: string, max: number): string {
  const codePoints = Array.from(text);
  return codePoints.length <= max ? text : `${codePoints.slice(0, max).join("")}…`;
}

function describeEta(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(5, Math.round(seconds / 5) * 5)} seconds`;
  return `about ${Math.round(seconds / 60)} minutes`;
}

function situation(input: PromptInput): string {
  const photo = `"${clip(input.description, MAX_DESCRIPTION_IN_PROMPT)}"`;
  switch (input.kind) {
    case "waiting": {
      const eta = input.etaSeconds !== undefined ? ` It will be ready in ${describeEta(input.etaSeconds)}.` : "";
      return `You just agreed to send a photo: ${photo}. You are taking it now.${eta} Tell them you will send it soon and that you can keep chatting meanwhile.`;
    }
    case "regenerating":
      return `They asked for another take of the photo ${photo} you sent. You are taking a new one now. Tell them it is coming soon and that you can keep chatting meanwhile.`;
    case "quota":
      return `They asked for a photo (${photo}), but you cannot send any more photos today; tomorrow you can. Say so warmly, in character; no technical details, no numbers.`;
    case "completed":
      return `The photo ${photo} you promised is ready and is sent together with this message. Write the message that goes with it.`;
    case "failed": {
      const reason = input.errorHint ? ` (what went wrong, for your understanding only: ${clip(input.errorHint, 200)})` : "";
      return `The photo ${photo} you promised did not come out${reason}. Apologise briefly; no technical details.`;
    }
  }
}

export function buildMessagePrompt(input: PromptInput): ChatMessage[] {
  const language = LANGUAGE_NAMES[input.language];
  const system = [
    `You are ${input.persona.name}, chatting with someone you know. Stay fully in character.`,
    `Your personality: ${clip(input.persona.personality, 600)}`,
    `Write only in ${language}. Reply with one or two short sentences, like a chat message.`,
    "No quotes around the message, no stage directions, no tags such as [IMAGE: ...], and never mention AI, models or image generation.",
  ].join("\n");
  return [
    { role: "system", content: system },
    { role: "user", content: situation(input) },
  ];
}

/**
 * Decides whether what the LLM said can go into the chat as the persona's message, tidying the
 * usual slips (echoed tags, quotes, a "Name:" prefix, reasoning blocks) on the way.
 */
import { parseImageTags } from "../../lib/imageTags";
import { detectLanguage, type Language } from "../../lib/language";

/** One or two short sentences; anything longer is the model rambling, not a chat message. */
export const MAX_ANSWER_CODE_POINTS = 280;

const QUOTE_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["“", "”"],
  ["«", "»"],
  ["„", "“"],
  ["'", "'"],
];

function unquote(text: string): string {
  for (const [open, close] of QUOTE_PAIRS) {
    const inner = text.slice(open.length, text.length - close.length);
    // Only strip when the quotes wrap the whole message, not when it merely starts and ends with quoted words.
    if (text.length > 2 && text.startsWith(open) && text.endsWith(close) && !inner.includes(close)) return inner.trim();
  }
  return text;
}

/** The usable message, or null when the answer should be replaced by a template. */
export function acceptLlmAnswer(raw: string, finishReason: string | null, expected: { language: Language; personaName: string }): string | null {
  // A cut-off answer ends mid-sentence; better a complete template than half a thought.
  if (finishReason === "length") return null;
  let text = raw.replace(/<think>[\s\S]*?<\/think>/giu, "");
  text = parseImageTags(text).text;
  const name = expected.personaName.trim();
  if (name !== "") {
    const namePrefix = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&")}\\s*:\\s*`, "iu");
    text = text.replace(namePrefix, "");
  }
  text = unquote(text.trim());
  text = text.replace(/[^\S\n]+/gu, " ").replace(/\n{3,}/gu, "\n\n").trim();
  if (text === "" || Array.from(text).length > MAX_ANSWER_CODE_POINTS) return null;
  // Only a clear signal of another language rejects the answer: unknown words fall back to the expected one.
  if (detectLanguage(text, expected.language) !== expected.language) return null;
  return text;
}

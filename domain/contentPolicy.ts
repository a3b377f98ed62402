/**
 * The content policy's vocabulary: blocklist entries, how they match an image prompt, and what a
 * refusal records. Pure, so it can be checked anywhere (the service screens prompts with it; the
 * CLI validates entries before storing them).
 *
 * An entry is a word or phrase (matched whole-word and case-insensitively, so "gun" does not refuse
 * "burgundy") or a `/regex/flags` (JavaScript syntax; `u` is always added). Words in scripts written
 * without spaces (Chinese, Japanese) match anywhere in the prompt, since they have no word borders.
 */

/** Which check refused a prompt; kept on the record and used as the metric's label. */
export const REFUSAL_SOURCES = ["blocklist", "moderation"] as const;
export type RefusalSource = (typeof REFUSAL_SOURCES)[number];

export interface Refusal {
  by: RefusalSource;
  /** For operators only (the record's errorMessage): never shown to the chat's user. */
  reason: string;
}

export interface BlocklistRule {
  /** The entry as written, e.g. `gun` or `/\bkill(s|ing)?\b/i`. */
  entry: string;
  pattern: RegExp;
}

const REGEX_ENTRY = /^\/(.+)\/([a-z]*)$/s;
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** One entry as a rule; throws with the entry named when it is empty or not a valid regex. */
export function parseBlocklistEntry(raw: string): BlocklistRule {
  const entry = raw.trim();
  if (!entry) throw new Error("a blocklist entry must not be empty");
  const regex = REGEX_ENTRY.exec(entry);
  if (regex) {
    const flags = [...new Set(`${regex[2]!}u`.replace(/[gy]/g, ""))].join("");
    try {
      return { entry, pattern: new RegExp(regex[1]!, flags) };
    } catch (err) {
      throw new Error(`blocklist entry ${entry} is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  const words = entry.split(/\s+/).map(escapeRegExp).join("\\s+");
  const pattern = UNSPACED_SCRIPT.test(entry) ? new RegExp(words, "iu") : new RegExp(`(?<![\\p{L}\\p{N}])${words}(?![\\p{L}\\p{N}])`, "iu");
  return { entry, pattern };
}

export function parseBlocklist(entries: readonly string[]): BlocklistRule[] {
  return entries.filter((e) => e.trim()).map(parseBlocklistEntry);
}

/** The first rule the prompt matches, as a refusal; undefined when none does. */
export function matchBlocklist(rules: readonly BlocklistRule[], prompt: string): Refusal | undefined {
  const text = prompt.normalize("NFKC");
  for (const rule of rules) {
    if (rule.pattern.test(text)) return { by: "blocklist", reason: `blocklist entry ${JSON.stringify(rule.entry)} matched` };
  }
  return undefined;
}

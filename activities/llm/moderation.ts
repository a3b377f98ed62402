/**
 * An OpenAI-compatible moderation endpoint (`POST {base}/moderations {input}` →
 * `{results: [{flagged, categories, category_scores}]}`), asked once per image prompt within a
 * short budget. OpenAI's own endpoint, and self-hosted classifiers that copy its shape, answer it.
 */
import type { Refusal } from "../../domain/contentPolicy";

export interface ModerationSettings {
  /** e.g. `https://api.openai.com/v1`; `/moderations` is appended. */
  baseUrl: string;
  apiKey?: string;
  /** Sent only when set (OpenAI: `omni-moderation-latest`). */
  model?: string;
  /** The most one check may take; past it the endpoint counts as unavailable. */
  timeoutMs: number;
  /** Unavailable (down, slow, odd answer): let the prompt through (`open`) or refuse it (`closed`). */
  fail: "open" | "closed";
}

export type ModerationVerdict =
  | { outcome: "allowed" }
  | { outcome: "flagged"; refusal: Refusal }
  | { outcome: "unavailable"; error: string };

interface ModerationBody {
  results?: Array<{ flagged?: unknown; categories?: Record<string, unknown>; category_scores?: Record<string, unknown> }>;
}

/** What flagged a prompt, for operators: the flagged categories with their scores. */
function describeFlag(result: NonNullable<ModerationBody["results"]>[number]): string {
  const categories = Object.entries(result.categories ?? {})
    .filter(([, on]) => on === true)
    .map(([name]) => {
      const score = result.category_scores?.[name];
      return typeof score === "number" ? `${name} ${score.toFixed(2)}` : name;
    });
  return `moderation flagged the prompt${categories.length ? ` (${categories.join(", ")})` : ""}`;
}

export async function moderatePrompt(settings: ModerationSettings, input: string): Promise<ModerationVerdict> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (settings.apiKey) headers.authorization = `Bearer ${settings.apiKey}`;
  const budget = AbortSignal.timeout(settings.timeoutMs);
  try {
    // The race returns on time even when a body read ignores the abort.
    const answer = await Promise.race([
      (async () => {
        const response = await fetch(`${settings.baseUrl.replace(/\/+$/u, "")}/moderations`, {
          method: "POST",
          headers,
          body: JSON.stringify({ input, ...(settings.model ? { model: settings.model } : {}) }),
          signal: budget,
        });
        if (!response.ok) throw new Error(`moderation answered HTTP ${response.status}`);
        return (await response.json()) as ModerationBody;
      })(),
      new Promise<never>((_, reject) =>
        budget.addEventListener("abort", () => reject(new Error(`moderation took longer than ${settings.timeoutMs} ms`)), { once: true }),
      ),
    ]);
    const result = answer.results?.[0];
    if (!result || typeof result.flagged !== "boolean") throw new Error("moderation answer has no results[0].flagged");
    return result.flagged ? { outcome: "flagged", refusal: { by: "moderation", reason: describeFlag(result) } } : { outcome: "allowed" };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { outcome: "unavailable", error: /abort|timed? ?out/i.test(error) && !error.startsWith("moderation") ? `moderation took longer than ${settings.timeoutMs} ms` : error };
  }
}

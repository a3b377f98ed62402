/**
 * The content policy on image prompts: the blocklist (SAFETY_BLOCKLIST for every tenant, plus the
 * tenant's own entries) and, when configured, an OpenAI-compatible moderation endpoint, with
 * MODERATION_FAIL deciding what a down or slow endpoint means. The service asks it before a
 * companion photo starts (service/contentPolicy.ts says why there); the chat-image flow asks it
 * about the prompt it built, before any GPU work.
 */
import { tenantSettings } from "../lib/tenantSettings";
import { activityLog } from "./log";
import { moderatePrompt } from "./llm/moderation";
import { matchBlocklist, parseBlocklist, type BlocklistRule, type Refusal } from "../domain/contentPolicy";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";

export function createContentPolicy(deps: { config: Config; prisma: PrismaClient }) {
  const global = parseBlocklist(deps.config.safety.blocklist);
  // Parsed once per read of the tenant's settings (which are cached), not once per prompt.
  const parsed = new WeakMap<string[], BlocklistRule[]>();

  async function tenantRules(tenantId: string): Promise<BlocklistRule[]> {
    const blocklist = (await tenantSettings(deps.prisma)(tenantId))?.blocklist;
    if (!blocklist) return [];
    let rules = parsed.get(blocklist);
    if (rules) return rules;
    // Entries are validated when stored; one that no longer parses is skipped rather than refusing everything.
    rules = blocklist.flatMap((entry) => {
      try {
        return parseBlocklist([entry]);
      } catch {
        activityLog({ tenantId }).warn({ entry }, "skipping an invalid blocklist entry");
        return [];
      }
    });
    parsed.set(blocklist, rules);
    return rules;
  }

  return {
    /** The refusal for this prompt, or undefined when it may be made. */
    async screen(tenantId: string, prompt: string): Promise<Refusal | undefined> {
      const blocked = matchBlocklist(global, prompt) ?? matchBlocklist(await tenantRules(tenantId), prompt);
      if (blocked) return blocked;
      const moderation = deps.config.safety.moderation;
      if (!moderation) return undefined;
      const verdict = await moderatePrompt(moderation, prompt);
      if (verdict.outcome === "flagged") return verdict.refusal;
      if (verdict.outcome === "allowed") return undefined;
      if (moderation.fail === "closed") return { by: "moderation", reason: `moderation unavailable (${verdict.error}); MODERATION_FAIL=closed` };
      activityLog().warn({ error: verdict.error }, "moderation unavailable, prompt let through (MODERATION_FAIL=open)");
      return undefined;
    },
  };
}

export type ContentPolicy = ReturnType<typeof createContentPolicy>;

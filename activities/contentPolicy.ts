/**
 * The content policy on image prompts: the blocklist (SAFETY_BLOCKLIST for every tenant, plus the
 * tenant's own entries) and, when configured, an OpenAI-compatible moderation endpoint, with
 * MODERATION_FAIL deciding what a down or slow endpoint means. The service asks it before a
 * companion photo starts (service/contentPolicy.ts says why there); the chat-image flow asks it
 * about the prompt it built, before any GPU work.
 */
import { moderatePrompt } from "./llm/moderation";
import { matchBlocklist, parseBlocklist, type BlocklistRule, type Refusal } from "../domain/contentPolicy";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";

/** How long a tenant's blocklist is reused before it is read again (a change applies within this). */
const TENANT_RULES_MS = 5_000;

export function createContentPolicy(deps: { config: Config; prisma: PrismaClient }) {
  const global = parseBlocklist(deps.config.safety.blocklist);
  const tenants = new Map<string, { rules: BlocklistRule[]; at: number }>();

  async function tenantRules(tenantId: string): Promise<BlocklistRule[]> {
    const hit = tenants.get(tenantId);
    if (hit && Date.now() - hit.at < TENANT_RULES_MS) return hit.rules;
    const row = await deps.prisma.tenant.findUnique({ where: { id: tenantId }, select: { blocklist: true } });
    // Entries are validated when stored; one that no longer parses is skipped rather than refusing everything.
    const rules = (row?.blocklist ?? []).flatMap((entry) => {
      try {
        return parseBlocklist([entry]);
      } catch {
        console.warn(`tenant ${tenantId}: skipping invalid blocklist entry ${JSON.stringify(entry)}`);
        return [];
      }
    });
    tenants.set(tenantId, { rules, at: Date.now() });
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
      console.warn(`moderation unavailable, prompt let through (MODERATION_FAIL=open): ${verdict.error}`);
      return undefined;
    },
  };
}

export type ContentPolicy = ReturnType<typeof createContentPolicy>;

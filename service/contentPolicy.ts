/**
 * The content policy, applied to an image's prompt before anything is started: the blocklist
 * (SAFETY_BLOCKLIST for every tenant, plus the tenant's own entries) and, when configured, an
 * OpenAI-compatible moderation endpoint.
 *
 * Why here, synchronously, and not as the workflow's first activity: the chat's answer carries
 * either a waiting message or a refusal. Checking in the workflow would mean answering "one moment,
 * taking the photo!" and then taking it back, a promise the persona breaks; checking first keeps
 * the answer honest and starts no workflow, takes no slot and touches no GPU for a refused prompt.
 * The blocklist costs microseconds. The moderation call is bounded by MODERATION_TIMEOUT_MS and
 * runs concurrently with composing the waiting message (itself bounded by LLM_BUDGET_MS), so the
 * answer waits for the slower of the two, not their sum; MODERATION_FAIL says what a down or slow
 * endpoint means.
 */
import { moderatePrompt } from "../activities/llm/moderation";
import { matchBlocklist, parseBlocklist, type BlocklistRule, type Refusal } from "../domain/contentPolicy";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";

/** How long a tenant's blocklist is reused before it is read again (a change applies within this). */
const TENANT_RULES_MS = 5_000;

export function contentPolicy(deps: { config: Config; prisma: PrismaClient }) {
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

export type ContentPolicy = ReturnType<typeof contentPolicy>;

/**
 * Adds and removes a tenant's own blocklist entries; every entry is checked first, so a bad regex
 * is refused and nothing is written. Returns the list.
 */
export async function updateTenantBlocklist(prisma: PrismaClient, tenantName: string, change: { add?: string[]; remove?: string[] }): Promise<string[]> {
  const add = (change.add ?? []).map((e) => e.trim());
  parseBlocklist(add);
  if (add.some((e) => !e)) throw new Error("a blocklist entry must not be empty");
  const remove = new Set((change.remove ?? []).map((e) => e.trim()));
  return prisma.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUnique({ where: { name: tenantName } });
    if (!tenant) throw new Error(`no tenant "${tenantName}" (./darkroom keys create --tenant ${tenantName} makes one)`);
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"blocklist/" + tenant.id}))`;
    const current = (await tx.tenant.findUniqueOrThrow({ where: { id: tenant.id }, select: { blocklist: true } })).blocklist;
    const next = [...new Set([...current.filter((e) => !remove.has(e)), ...add])];
    await tx.tenant.update({ where: { id: tenant.id }, data: { blocklist: next } });
    return next;
  });
}

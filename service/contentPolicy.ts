/**
 * The content policy for companion photos, applied to the description before anything is started: the blocklist
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
 * endpoint means. (Chat images are screened in their workflow instead, on the prompt it builds from
 * the conversation: nobody asked for those pictures, so there is no waiting message to keep honest.)
 *
 * The policy itself lives in activities/contentPolicy.ts, shared with that workflow step.
 */
import { forgetTenantSettings } from "../lib/tenantSettings";
import { parseBlocklist } from "../domain/contentPolicy";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";
import { createContentPolicy, type ContentPolicy } from "../activities/contentPolicy";

export type { ContentPolicy };

/** The policy the service screens companion photos with (one per process: it caches tenants' lists). */
export const contentPolicy = (deps: { config: Config; prisma: PrismaClient }): ContentPolicy => createContentPolicy(deps);

/**
 * Adds and removes a tenant's own blocklist entries; every entry is checked first, so a bad regex
 * is refused and nothing is written. Returns the list.
 */
export async function updateTenantBlocklist(prisma: PrismaClient, tenantName: string, change: { add?: string[]; remove?: string[] }): Promise<string[]> {
  const add = (change.add ?? []).map((e) => e.trim());
  parseBlocklist(add);
  if (add.some((e) => !e)) throw new Error("a blocklist entry must not be empty");
  const remove = new Set((change.remove ?? []).map((e) => e.trim()));
  const next = await prisma.$transaction(async (tx) => {
    const tenant = await tx.tenant.findUnique({ where: { name: tenantName } });
    if (!tenant) throw new Error(`no tenant "${tenantName}" (./darkroom keys create --tenant ${tenantName} makes one)`);
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"blocklist/" + tenant.id}))`;
    const current = (await tx.tenant.findUniqueOrThrow({ where: { id: tenant.id }, select: { blocklist: true } })).blocklist;
    const next = [...new Set([...current.filter((e) => !remove.has(e)), ...add])];
    await tx.tenant.update({ where: { id: tenant.id }, data: { blocklist: next } });
    return { id: tenant.id, list: next };
  });
  forgetTenantSettings(prisma, next.id);
  return next.list;
}

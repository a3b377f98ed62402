/**
 * The Temporal priority a tenant's new workflows start with. Activities inherit it, so the GPU
 * task queues (where backlogs form) dispatch by tier first, then fairly between tenants by weight.
 * On a server without priority or fairness the fields are ignored and queues stay FIFO.
 */
import type { Priority } from "@temporalio/common";
import type { PrismaClient } from "../lib/db/generated/client";
import { PRIORITY_TIERS } from "../lib/tenantScheduling";

/** A changed tier reaches new work within this long; the lookup is off the reply's hot path otherwise. */
const CACHE_MS = 30_000;

export type TenantPriority = (tenantId: string) => Promise<Priority>;

export function tenantPriority(prisma: PrismaClient): TenantPriority {
  const cache = new Map<string, { at: number; priority: Promise<Priority> }>();
  return (tenantId) => {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.priority;
    const priority = prisma.tenant
      .findUnique({ where: { id: tenantId }, select: { priority: true, fairnessWeight: true } })
      .then((t) => ({
        priorityKey: t?.priority ?? PRIORITY_TIERS.default,
        fairnessKey: tenantId,
        fairnessWeight: t?.fairnessWeight ?? 1,
      }));
    // A failed lookup is not kept: the next request asks again.
    priority.catch(() => cache.delete(tenantId));
    cache.set(tenantId, { at: Date.now(), priority });
    return priority;
  };
}

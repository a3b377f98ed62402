/**
 * The Temporal priority a tenant's new workflows start with. Activities inherit it, so the GPU
 * task queues (where backlogs form) dispatch by tier first, then fairly between tenants by weight.
 * On a server without priority or fairness the fields are ignored and queues stay FIFO.
 */
import type { Priority } from "@temporalio/common";
import type { PrismaClient } from "../lib/db/generated/client";
import { PRIORITY_TIERS } from "../lib/tenantScheduling";
import { tenantSettings } from "../lib/tenantSettings";

export type TenantPriority = (tenantId: string) => Promise<Priority>;

export function tenantPriority(prisma: PrismaClient): TenantPriority {
  const settings = tenantSettings(prisma);
  return async (tenantId) => {
    const t = await settings(tenantId);
    return { priorityKey: t?.priority ?? PRIORITY_TIERS.default, fairnessKey: tenantId, fairnessWeight: t?.fairnessWeight ?? 1 };
  };
}

/**
 * How a tenant's work is ordered against other tenants' when the GPU queues back up, in Temporal's
 * own terms: a priority tier (Temporal's priority key: 1 goes first, 5 last, 3 by default) and a
 * fairness weight (a tenant with weight 2 gets twice the dispatch share of one with weight 1).
 * The tenant id is the fairness key, so one tenant's burst cannot push another tenant's photo
 * behind it.
 */
import type { PrismaClient } from "./db/generated/client";
import { forgetTenantSettings } from "./tenantSettings";

export const PRIORITY_TIERS = { highest: 1, default: 3, lowest: 5 } as const;
/** Temporal clamps weights to this range; we refuse what it would silently change. */
export const FAIRNESS_WEIGHT_RANGE = { min: 0.001, max: 1000 } as const;

export interface TenantScheduling {
  priority: number;
  fairnessWeight: number;
}

export function checkTenantScheduling(s: Partial<TenantScheduling>): void {
  if (s.priority !== undefined && !(Number.isInteger(s.priority) && s.priority >= PRIORITY_TIERS.highest && s.priority <= PRIORITY_TIERS.lowest)) {
    throw new Error(`priority must be a whole number from ${PRIORITY_TIERS.highest} (first) to ${PRIORITY_TIERS.lowest} (last), got ${s.priority}`);
  }
  if (s.fairnessWeight !== undefined && !(Number.isFinite(s.fairnessWeight) && s.fairnessWeight >= FAIRNESS_WEIGHT_RANGE.min && s.fairnessWeight <= FAIRNESS_WEIGHT_RANGE.max)) {
    throw new Error(`fairness weight must be a number from ${FAIRNESS_WEIGHT_RANGE.min} to ${FAIRNESS_WEIGHT_RANGE.max}, got ${s.fairnessWeight}`);
  }
}

/** Sets an existing tenant's tier and/or weight; returns what it now has. */
export async function setTenantScheduling(prisma: PrismaClient, tenantName: string, s: Partial<TenantScheduling>): Promise<TenantScheduling> {
  checkTenantScheduling(s);
  const found = await prisma.tenant.findUnique({ where: { name: tenantName }, select: { id: true } });
  if (!found) throw new Error(`no tenant named "${tenantName}" (create it with ./darkroom keys create --tenant ${tenantName})`);
  const updated = await prisma.tenant.update({
    where: { id: found.id },
    data: { ...(s.priority !== undefined ? { priority: s.priority } : {}), ...(s.fairnessWeight !== undefined ? { fairnessWeight: s.fairnessWeight } : {}) },
    select: { priority: true, fairnessWeight: true },
  });
  forgetTenantSettings(prisma, found.id);
  return updated;
}

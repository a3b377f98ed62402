/**
 * A tenant's own settings — its place in the GPU queues, its daily quotas and concurrency, its
 * blocklist — read from one row, once per tenant every few seconds, for every part of a process
 * that needs them: a chat reply asks for all of them, and must not pay a database round trip for
 * each. A change (`./darkroom tenants …`) reaches running processes within the cache time.
 */
import type { PrismaClient } from "./db/generated/client";
import { ttlCache, type TtlCache } from "./ttlCache";

export const TENANT_SETTINGS_CACHE_MS = 5_000;

export interface TenantSettings {
  priority: number;
  fairnessWeight: number;
  imagesPerUserPerDay: number | null;
  imagesPerTenantPerDay: number | null;
  maxConcurrentPerUser: number | null;
  blocklist: string[];
}

export type TenantSettingsReader = (tenantId: string) => Promise<TenantSettings | undefined>;

/** One cache per database client: whoever asks in this process shares it. */
const caches = new WeakMap<PrismaClient, TtlCache<TenantSettings | undefined>>();

function cacheOf(prisma: PrismaClient): TtlCache<TenantSettings | undefined> {
  let cache = caches.get(prisma);
  if (!cache) {
    cache = ttlCache(TENANT_SETTINGS_CACHE_MS, async (tenantId) =>
      (await prisma.tenant.findUnique({
        where: { id: tenantId },
        select: { priority: true, fairnessWeight: true, imagesPerUserPerDay: true, imagesPerTenantPerDay: true, maxConcurrentPerUser: true, blocklist: true },
      })) ?? undefined,
    );
    caches.set(prisma, cache);
  }
  return cache;
}

/** A writer in this process drops what it changed, so the change applies here at once. */
export function forgetTenantSettings(prisma: PrismaClient, tenantId: string): void {
  caches.get(prisma)?.forget(tenantId);
}

/** The process's reader for this database (one cache, whoever asks). */
export function tenantSettings(prisma: PrismaClient): TenantSettingsReader {
  const cache = cacheOf(prisma);
  return (tenantId) => cache.get(tenantId);
}

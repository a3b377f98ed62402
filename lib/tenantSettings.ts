/**
 * A tenant's own settings — its place in the GPU queues, its daily quotas and concurrency, its
 * blocklist — read from one row, once per tenant every few seconds, for every part of a process
 * that needs them: a chat reply asks for all of them, and must not pay a database round trip for
 * each. A change (`./darkroom tenants …`) reaches running processes within the cache time.
 */
import type { PrismaClient } from "./db/generated/client";

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

type Cache = Map<string, { at: number; settings: Promise<TenantSettings | undefined> }>;
const readers = new WeakMap<PrismaClient, TenantSettingsReader>();
const caches = new WeakMap<PrismaClient, Cache>();

/** A writer in this process drops what it changed, so the change applies here at once. */
export function forgetTenantSettings(prisma: PrismaClient, tenantId: string): void {
  caches.get(prisma)?.delete(tenantId);
}

/** The process's reader for this database (one cache, whoever asks). */
export function tenantSettings(prisma: PrismaClient): TenantSettingsReader {
  let reader = readers.get(prisma);
  if (reader) return reader;
  const cache: Cache = new Map();
  caches.set(prisma, cache);
  reader = (tenantId) => {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < TENANT_SETTINGS_CACHE_MS) return hit.settings;
    const settings = prisma.tenant
      .findUnique({
        where: { id: tenantId },
        select: { priority: true, fairnessWeight: true, imagesPerUserPerDay: true, imagesPerTenantPerDay: true, maxConcurrentPerUser: true, blocklist: true },
      })
      .then((t) => t ?? undefined);
    // A failed read is not kept: the next caller asks again.
    settings.catch(() => cache.delete(tenantId));
    cache.set(tenantId, { at: Date.now(), settings });
    return settings;
  };
  readers.set(prisma, reader);
  return reader;
}

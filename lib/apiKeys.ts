/**
 * API keys belong to tenants. Only a key's SHA-256 is stored, so a leaked database does not leak keys.
 */
import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "./db/generated/client";
import { forgetTenantSettings } from "./tenantSettings";

export const hashApiKey = (key: string) => createHash("sha256").update(key).digest("hex");

export function newApiKey(): string {
  return `dk_${randomBytes(24).toString("base64url")}`;
}

const TENANT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

/**
 * Ensures the tenant exists and the key maps to it; returns the tenant id. Safe to run from many
 * processes at the same moment: both rows are inserted with ON CONFLICT DO NOTHING, so a process that
 * loses the race finds the winner's row instead of failing on a unique constraint (an upsert reads
 * first and then inserts, which two starters can both do).
 */
export async function registerApiKey(prisma: PrismaClient, tenantName: string, key: string): Promise<string> {
  if (!TENANT_NAME.test(tenantName)) throw new Error(`Tenant name "${tenantName}" may use letters, digits, ".", "_" and "-" (max 63)`);
  if (key.length < 16) throw new Error(`The API key for tenant "${tenantName}" is too short: use at least 16 characters`);
  await prisma.tenant.createMany({ data: [{ id: tenantName, name: tenantName }], skipDuplicates: true });
  const tenant = await prisma.tenant.findUniqueOrThrow({ where: { name: tenantName } });
  const keyHash = hashApiKey(key);
  await prisma.apiKey.createMany({ data: [{ id: crypto.randomUUID(), tenantId: tenant.id, keyHash, prefix: key.slice(0, 7) }], skipDuplicates: true });
  return tenant.id;
}

/** The configured `tenant:key` pairs, checked all before any is written. */
export async function registerApiKeys(prisma: PrismaClient, pairs: Array<{ tenant: string; key: string }>): Promise<void> {
  for (const { tenant, key } of pairs) {
    if (!TENANT_NAME.test(tenant)) throw new Error(`Tenant name "${tenant}" may use letters, digits, ".", "_" and "-" (max 63)`);
    if (key.length < 16) throw new Error(`The API key for tenant "${tenant}" is too short: use at least 16 characters`);
  }
  for (const { tenant, key } of pairs) await registerApiKey(prisma, tenant, key);
}

export async function createApiKey(prisma: PrismaClient, tenantName: string): Promise<string> {
  const key = newApiKey();
  await registerApiKey(prisma, tenantName, key);
  return key;
}

const RESOLVE_CACHE_MS = 30_000;

/**
 * Resolves a bearer key to its tenant id. Lookups are cached briefly because every request pays for
 * them and the replies endpoint must answer in milliseconds.
 */
export function tenantResolver(prisma: PrismaClient) {
  const cache = new Map<string, { tenantId: string; at: number }>();
  return async (key: string | undefined): Promise<string | undefined> => {
    if (!key) return undefined;
    const keyHash = hashApiKey(key);
    const hit = cache.get(keyHash);
    if (hit && Date.now() - hit.at < RESOLVE_CACHE_MS) return hit.tenantId;
    const row = await prisma.apiKey.findUnique({ where: { keyHash }, select: { tenantId: true } });
    if (!row) return undefined;
    cache.set(keyHash, { tenantId: row.tenantId, at: Date.now() });
    return row.tenantId;
  };
}

/** A tenant's own limits; null goes back to the server-wide default (DARKROOM_QUOTA_*, MAX_CONCURRENT_GENERATIONS). */
export interface TenantLimits {
  imagesPerUserPerDay?: number | null;
  imagesPerTenantPerDay?: number | null;
  maxConcurrentPerUser?: number | null;
}

/** Sets the limits given (others stay as they are) of a tenant that `keys create` made. */
export async function setTenantLimits(prisma: PrismaClient, tenantName: string, limits: TenantLimits) {
  if (!TENANT_NAME.test(tenantName)) throw new Error(`Tenant name "${tenantName}" may use letters, digits, ".", "_" and "-" (max 63)`);
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && value !== null && (!Number.isInteger(value) || value < (name === "maxConcurrentPerUser" ? 1 : 0))) {
      throw new Error(`${name} must be a whole number >= ${name === "maxConcurrentPerUser" ? 1 : 0}, got ${value}`);
    }
  }
  const found = await prisma.tenant.findUnique({ where: { name: tenantName }, select: { id: true } });
  if (!found) throw new Error(`no tenant named "${tenantName}" (create it with ./darkroom keys create --tenant ${tenantName})`);
  const updated = await prisma.tenant.update({
    where: { name: tenantName },
    data: limits,
    select: { name: true, imagesPerUserPerDay: true, imagesPerTenantPerDay: true, maxConcurrentPerUser: true },
  });
  forgetTenantSettings(prisma, found.id);
  return updated;
}

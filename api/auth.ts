/**
 * Bearer-key auth for /v1: resolves the caller's tenant. Lookups are cached briefly because every
 * request pays for them and the replies endpoint must answer in milliseconds.
 */
import { Elysia } from "elysia";
import { hashApiKey } from "../lib/apiKeys";
import type { PrismaClient } from "../lib/db/generated/client";
import { HttpError } from "./errors";

const CACHE_MS = 30_000;

export function tenantResolver(prisma: PrismaClient) {
  const cache = new Map<string, { tenantId: string; at: number }>();
  return async (key: string | undefined): Promise<string | undefined> => {
    if (!key) return undefined;
    const keyHash = hashApiKey(key);
    const hit = cache.get(keyHash);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.tenantId;
    const row = await prisma.apiKey.findUnique({ where: { keyHash }, select: { tenantId: true } });
    if (!row) return undefined;
    cache.set(keyHash, { tenantId: row.tenantId, at: Date.now() });
    return row.tenantId;
  };
}

export function bearerToken(header: string | null | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

export function authPlugin(resolveTenant: ReturnType<typeof tenantResolver>) {
  return new Elysia({ name: "darkroom/auth" }).derive({ as: "scoped" }, async ({ headers }) => {
    const tenantId = await resolveTenant(bearerToken(headers.authorization));
    if (!tenantId) {
      throw new HttpError(401, "unauthorized", "Send a valid API key as `Authorization: Bearer <key>` (create one with `./darkroom keys create --tenant NAME`)");
    }
    return { tenantId };
  });
}

/** Bearer-key auth for /v1: resolves the caller's tenant (lib/apiKeys.ts caches the lookups). */
import { Elysia } from "elysia";
import { HttpError } from "./errors";

export function bearerToken(header: string | null | undefined): string | undefined {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return m?.[1];
}

export function authPlugin(resolveTenant: (key: string | undefined) => Promise<string | undefined>) {
  return new Elysia({ name: "darkroom/auth" }).derive({ as: "scoped" }, async ({ headers }) => {
    const tenantId = await resolveTenant(bearerToken(headers.authorization));
    if (!tenantId) {
      throw new HttpError(401, "unauthorized", "Send a valid API key as `Authorization: Bearer <key>` (create one with `./darkroom keys create --tenant NAME`)");
    }
    return { tenantId };
  });
}

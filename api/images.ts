/**
 * Stored images. Reachable with the bearer key, or without it through the signed URL that messages
 * carry (so a chat can show the picture in a plain <img>). Immutable content: ETag is the hash.
 */
import { Elysia, t } from "elysia";
import { bearerToken } from "./auth";
import type { ApiContext } from "./context";
import { HttpError } from "./errors";
import { documentedErrors } from "./schemas";

export function imageRoutes(ctx: ApiContext) {
  return new Elysia({ prefix: "/v1/images", tags: ["Images"] }).get(
    "/:imageId",
    async ({ params, query, headers }) => {
      const variant = query.variant === "thumb" ? "thumb" : "full";
      const signed = ctx.service.signer.verify(params.imageId, variant, query.exp, query.sig);
      const tenantId = signed ? undefined : await ctx.resolveTenant(bearerToken(headers.authorization));
      if (!signed && !tenantId) {
        throw new HttpError(401, "unauthorized", "Use the signed image URL from the message, or send `Authorization: Bearer <key>`");
      }
      const image = await ctx.service.operations.image({ imageId: params.imageId, tenantId, variant });
      const cacheHeaders = { etag: image.etag, "cache-control": "private, max-age=31536000, immutable" };
      if (headers["if-none-match"] === image.etag) return new Response(null, { status: 304, headers: cacheHeaders });
      const bytes = await image.read();
      return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { ...cacheHeaders, "content-type": image.contentType, "content-length": String(bytes.byteLength) } });
    },
    {
      params: t.Object({ imageId: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) }),
      query: t.Object({
        variant: t.Optional(t.Union([t.Literal("full"), t.Literal("thumb")])),
        exp: t.Optional(t.String({ pattern: "^[0-9]{1,20}$", description: "Signed URLs: expiry (Unix seconds)" })),
        sig: t.Optional(t.String({ pattern: "^[A-Za-z0-9_-]{1,100}$", description: "Signed URLs: signature" })),
      }),
      detail: {
        operationId: "getImage",
        summary: "The stored WebP (or its thumbnail with ?variant=thumb)",
        description: "With the bearer key, or without it through the signed URL (exp, sig) that messages carry.",
        security: [{ bearer: [] }, {}],
        responses: {
          "200": { description: "The image", content: { "image/webp": { schema: { type: "string", format: "binary" } } } },
          "304": { description: "Not modified (If-None-Match matched the ETag)" },
          ...documentedErrors(400, 401, 404, 410),
        },
      },
    },
  );
}

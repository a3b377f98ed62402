/**
 * A generation's latest live preview: the small WebP its `image:preview` events point at. Reachable
 * with the bearer key, or without it through the signed URL the event carries (so a chat can show
 * it in a plain <img>). Each preview has its own URL (`v`), and the answer for one is never stale
 * for long: it is the newest preview at the time of asking.
 */
import { Elysia, t } from "elysia";
import { bearerToken } from "./auth";
import type { ApiContext } from "./context";
import { HttpError } from "./errors";
import { documentedErrors } from "./schemas";

export function previewRoutes(ctx: ApiContext) {
  return new Elysia({ prefix: "/v1/generations", tags: ["Generations"] }).get(
    "/:id/preview",
    async ({ params, query, headers }) => {
      const signed = ctx.service.signer.verifyPreview(params.id, query.exp, query.sig);
      const tenantId = signed ? undefined : await ctx.resolveTenant(bearerToken(headers.authorization));
      if (!signed && !tenantId) {
        throw new HttpError(401, "unauthorized", "Use the signed preview URL from the image:preview event, or send `Authorization: Bearer <key>`");
      }
      const preview = await ctx.service.generations.preview({ generationId: params.id, tenantId });
      // Newer previews replace this one under the same path: a browser may keep it briefly, then asks again.
      const cacheHeaders = { etag: preview.etag, "cache-control": "private, max-age=5" };
      if (headers["if-none-match"] === preview.etag) return new Response(null, { status: 304, headers: cacheHeaders });
      return new Response(preview.bytes as Uint8Array<ArrayBuffer>, {
        headers: {
          ...cacheHeaders,
          "content-type": "image/webp",
          "content-length": String(preview.bytes.byteLength),
          "x-preview-version": String(preview.version),
          ...(preview.step !== null ? { "x-preview-step": String(preview.step) } : {}),
        },
      });
    },
    {
      params: t.Object({ id: t.String({ minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9-]+$" }) }),
      query: t.Object({
        v: t.Optional(t.String({ pattern: "^[0-9]{1,10}$", description: "The preview's number, from the event's URL: makes each preview's URL its own" })),
        exp: t.Optional(t.String({ pattern: "^[0-9]{1,20}$", description: "Signed URLs: expiry (Unix seconds)" })),
        sig: t.Optional(t.String({ pattern: "^[A-Za-z0-9_-]{1,100}$", description: "Signed URLs: signature" })),
      }),
      detail: {
        operationId: "getGenerationPreview",
        summary: "The latest live preview of a generation (WebP, at most 256 px), as its image:preview events announce",
        description:
          "With the bearer key, or without it through the signed URL (v, exp, sig) of an image:preview event. Always the newest preview; " +
          "404 until the first one (and for generations that never had one: cached runs, AI Horde, previews turned off).",
        security: [{ bearer: [] }, {}],
        responses: {
          "200": { description: "The preview", content: { "image/webp": { schema: { type: "string", format: "binary" } } } },
          "304": { description: "Not modified (If-None-Match matched the ETag)" },
          ...documentedErrors(400, 401, 404),
        },
      },
    },
  );
}

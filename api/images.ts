/**
 * Stored images. Reachable with the bearer key, or without it through the signed URL that messages
 * carry (so a chat can show the picture in a plain <img>). Immutable content: ETag is the hash.
 * Single byte ranges are honoured (resumed downloads, media players); with S3_PRESIGN the API checks
 * access and redirects to a short-lived bucket URL instead of passing the bytes through.
 */
import { Elysia, t } from "elysia";
import { bearerToken } from "./auth";
import type { ApiContext } from "./context";
import { HttpError } from "./errors";
import { documentedErrors } from "./schemas";
import { log } from "../lib/log";

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
      const presigned = await image.presignedUrl();
      if (presigned) {
        // Which bucket URL answered, for operators; the logger's scrubber removes its signature and credential.
        log().debug({ imageId: params.imageId, ...(tenantId ? { tenantId } : {}), location: presigned }, "image: redirecting to the bucket");
        // The target URL expires, so the redirect itself must not be cached past a short while.
        return new Response(null, { status: 302, headers: { location: presigned, "cache-control": "private, max-age=60" } });
      }
      const bytes = await image.read();
      const headersOut = { ...cacheHeaders, "content-type": image.contentType, "accept-ranges": "bytes" };
      // If-Range: the range only applies to the representation the client already has part of.
      const rangeApplies = headers.range !== undefined && (headers["if-range"] === undefined || headers["if-range"] === image.etag);
      const range = rangeApplies ? parseRange(headers.range!, bytes.byteLength) : undefined;
      if (range === "unsatisfiable") {
        return new Response(null, { status: 416, headers: { ...headersOut, "content-range": `bytes */${bytes.byteLength}` } });
      }
      if (range) {
        const part = bytes.subarray(range.start, range.end + 1);
        return new Response(part as Uint8Array<ArrayBuffer>, {
          status: 206,
          headers: { ...headersOut, "content-range": `bytes ${range.start}-${range.end}/${bytes.byteLength}`, "content-length": String(part.byteLength) },
        });
      }
      return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { ...headersOut, "content-length": String(bytes.byteLength) } });
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
        summary: "The stored WebP (or its thumbnail with ?variant=thumb), with byte ranges",
        description: "With the bearer key, or without it through the signed URL (exp, sig) that messages carry.",
        security: [{ bearer: [] }, {}],
        responses: {
          "200": { description: "The image", content: { "image/webp": { schema: { type: "string", format: "binary" } } } },
          "206": { description: "The requested byte range (Range, honoured only when If-Range matches)", content: { "image/webp": { schema: { type: "string", format: "binary" } } } },
          "302": { description: "With S3_PRESIGN: a redirect to a short-lived URL of the bucket" },
          "304": { description: "Not modified (If-None-Match matched the ETag)" },
          ...documentedErrors(400, 401, 404, 410),
        },
      },
    },
  );
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2): `a-b`, `a-` or `-n` (the last n bytes), clamped to the size.
 * Anything else — several ranges, another unit, garbage — is ignored (undefined: send the whole
 * image), as the RFC allows; a well-formed range that starts past the end is "unsatisfiable" (416).
 */
export function parseRange(header: string, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Infinity : Number(m[2]);
  if (end < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Signed image URLs: a chat client can put the completion message's image (or a generation's live
 * preview) in an <img> tag without holding the API key. The signature covers the image id and
 * variant (or the generation id and "preview") and the expiry.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type ImageVariant = "full" | "thumb";
/** What a signature grants: an image in one variant, or a generation's live preview. */
type Grant = ImageVariant | "preview";

export function createUrlSigner(opts: { secret: string; publicUrl: string; ttlSeconds?: number }) {
  const ttl = opts.ttlSeconds ?? 7 * 24 * 3600;
  const mac = (id: string, grant: Grant, exp: number) => createHmac("sha256", opts.secret).update(`${id}.${grant}.${exp}`).digest("base64url");
  const check = (id: string, grant: Grant, exp: string | undefined, sig: string | undefined, now: number) => {
    if (!exp || !sig || !/^\d{1,12}$/.test(exp) || Number(exp) * 1000 < now) return false;
    const expected = Buffer.from(mac(id, grant, Number(exp)));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
  return {
    imageUrl(imageId: string, variant: ImageVariant = "full", now = Date.now()): string {
      const exp = Math.floor(now / 1000) + ttl;
      const query = new URLSearchParams({ exp: String(exp), sig: mac(imageId, variant, exp) });
      if (variant === "thumb") query.set("variant", "thumb");
      return `${opts.publicUrl}/v1/images/${encodeURIComponent(imageId)}?${query}`;
    },
    verify(imageId: string, variant: ImageVariant, exp: string | undefined, sig: string | undefined, now = Date.now()): boolean {
      return check(imageId, variant, exp, sig, now);
    },
    /**
     * A generation's latest live preview. `version` only makes each preview's URL its own (so a
     * browser fetches the new picture); the signature covers the generation, so any version verifies.
     */
    previewUrl(generationId: string, version: number, now = Date.now()): string {
      const exp = Math.floor(now / 1000) + ttl;
      const query = new URLSearchParams({ v: String(version), exp: String(exp), sig: mac(generationId, "preview", exp) });
      return `${opts.publicUrl}/v1/generations/${encodeURIComponent(generationId)}/preview?${query}`;
    },
    verifyPreview(generationId: string, exp: string | undefined, sig: string | undefined, now = Date.now()): boolean {
      return check(generationId, "preview", exp, sig, now);
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;

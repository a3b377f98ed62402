/**
 * Signed image URLs: a chat client can put the completion message's image in an <img> tag without
 * holding the API key. The signature covers the image id, the variant and the expiry.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type ImageVariant = "full" | "thumb";

export function createUrlSigner(opts: { secret: string; publicUrl: string; ttlSeconds?: number }) {
  const ttl = opts.ttlSeconds ?? 7 * 24 * 3600;
  const mac = (imageId: string, variant: ImageVariant, exp: number) =>
    createHmac("sha256", opts.secret).update(`${imageId}.${variant}.${exp}`).digest("base64url");
  return {
    imageUrl(imageId: string, variant: ImageVariant = "full", now = Date.now()): string {
      const exp = Math.floor(now / 1000) + ttl;
      const query = new URLSearchParams({ exp: String(exp), sig: mac(imageId, variant, exp) });
      if (variant === "thumb") query.set("variant", "thumb");
      return `${opts.publicUrl}/v1/images/${encodeURIComponent(imageId)}?${query}`;
    },
    verify(imageId: string, variant: ImageVariant, exp: string | undefined, sig: string | undefined, now = Date.now()): boolean {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp) || Number(exp) * 1000 < now) return false;
      const expected = Buffer.from(mac(imageId, variant, Number(exp)));
      const given = Buffer.from(sig);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}

export type UrlSigner = ReturnType<typeof createUrlSigner>;

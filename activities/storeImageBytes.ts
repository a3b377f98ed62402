/**
 * Stores image bytes that did not come from a ComfyUI instance (e.g. AI Horde's URL or base64 WebP)
 * the same way `storeImages` stores ComfyUI outputs: sharp post-processing, content-addressed
 * storage, one Image row per output index (so a retried activity never stores twice).
 */
import type { PrismaClient } from "../lib/db/generated/client";
import { postProcessImage } from "./imaging";
import { imageKeys, type ImageStore } from "../lib/storage";

/** A stored image as the workflows see it. */
export interface StoredImage {
  id: string;
  width: number;
  height: number;
  sha256: string;
}

export interface ImageBytesDeps {
  prisma: PrismaClient;
  store: ImageStore;
  imaging: { maxEdge: number; thumbEdge: number; quality: number };
}

/** The image already stored for this output, if an earlier attempt got that far. */
export async function storedOutput(prisma: PrismaClient, generationId: string, outputIndex: number): Promise<StoredImage | undefined> {
  const existing = await prisma.image.findUnique({ where: { generationId_outputIndex: { generationId, outputIndex } } });
  return existing ? { id: existing.id, width: existing.width, height: existing.height, sha256: existing.sha256 } : undefined;
}

export async function storeImageBytes(
  deps: ImageBytesDeps,
  /**
   * The output's bytes, already on their way: they are fetched while the lookup for an earlier
   * attempt's image runs, since a first attempt (nearly every call) needs them. When the output is
   * stored already they are not used, and a failed fetch (an instance gone since) does not matter.
   */
  input: { generationId: string; tenantId: string; outputIndex: number; bytes: Promise<Uint8Array>; seed: number },
): Promise<StoredImage> {
  input.bytes.catch(() => undefined);
  const earlier = await storedOutput(deps.prisma, input.generationId, input.outputIndex);
  if (earlier) return earlier;
  const img = await postProcessImage(await input.bytes, deps.imaging);
  const keys = imageKeys(input.tenantId, img.sha256);
  // Both files at once: each put waits for its bytes to be durable.
  const putOnce = async (key: string, bytes: Uint8Array) => {
    if (!(await deps.store.has(key))) await deps.store.put(key, bytes, "image/webp");
  };
  await Promise.all([putOnce(keys.full, img.webp), putOnce(keys.thumb, img.thumb)]);
  // One statement: a concurrent attempt that recorded this output first keeps its row and id (the
  // no-op update is there so that RETURNING gives the existing row).
  const [row] = await deps.prisma.$queryRaw<StoredImage[]>`
    INSERT INTO "Image" ("id", "tenantId", "generationId", "outputIndex", "storageKey", "thumbKey", "width", "height",
      "thumbWidth", "thumbHeight", "bytes", "sha256", "seed")
    VALUES (${crypto.randomUUID()}, ${input.tenantId}, ${input.generationId}, ${input.outputIndex}, ${keys.full}, ${keys.thumb},
      ${img.width}, ${img.height}, ${img.thumbWidth}, ${img.thumbHeight}, ${img.bytes}, ${img.sha256}, ${BigInt(input.seed)}::bigint)
    ON CONFLICT ("generationId", "outputIndex") DO UPDATE SET "outputIndex" = EXCLUDED."outputIndex"
    RETURNING "id", "width", "height", "sha256"`;
  if (!row) throw new Error(`storing output ${input.outputIndex} of generation ${input.generationId} returned no row`);
  return { id: row.id, width: row.width, height: row.height, sha256: row.sha256 };
}

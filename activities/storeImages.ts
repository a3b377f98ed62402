/**
 * After the GPU: fetch each output from the instance that made it, post-process with sharp (WebP,
 * bounded size, thumbnail, metadata stripped), store it content-addressed, and record it. Runs on the
 * general queue so a storage hiccup is retried without paying for the GPU again.
 */
import type { PrismaClient } from "../lib/db/generated/client";
import type { ComfyInstance } from "../lib/config";
import { fetchComfyOutput, type ComfyOutputRef } from "./comfyui/generate";
import { postProcessImage } from "./imaging";
import { imageKeys, type ImageStore } from "./storage";

export interface StoredImage {
  id: string;
  width: number;
  height: number;
  sha256: string;
}

export function createImageStoreActivities(deps: {
  prisma: PrismaClient;
  store: ImageStore;
  instances: ComfyInstance[];
  imaging: { maxEdge: number; thumbEdge: number; quality: number };
}) {
  return {
    /** `firstOutputIndex`: where these outputs go among the generation's images (flows that run several prompts). */
    async storeImages(input: { generationId: string; tenantId: string; instance: string; outputs: ComfyOutputRef[]; seed: number; firstOutputIndex?: number }): Promise<StoredImage[]> {
      const instance = deps.instances.find((i) => i.name === input.instance);
      if (!instance) throw new Error(`Unknown ComfyUI instance "${input.instance}"`);
      const stored: StoredImage[] = [];
      for (const [i, ref] of input.outputs.entries()) {
        const outputIndex = (input.firstOutputIndex ?? 0) + i;
        const existing = await deps.prisma.image.findUnique({
          where: { generationId_outputIndex: { generationId: input.generationId, outputIndex } },
        });
        if (existing) {
          stored.push({ id: existing.id, width: existing.width, height: existing.height, sha256: existing.sha256 });
          continue;
        }
        const raw = await fetchComfyOutput(instance.url, ref);
        const img = await postProcessImage(raw, deps.imaging);
        const keys = imageKeys(input.tenantId, img.sha256);
        if (!(await deps.store.has(keys.full))) await deps.store.put(keys.full, img.webp, "image/webp");
        if (!(await deps.store.has(keys.thumb))) await deps.store.put(keys.thumb, img.thumb, "image/webp");
        const row = await deps.prisma.image.upsert({
          where: { generationId_outputIndex: { generationId: input.generationId, outputIndex } },
          create: {
            id: crypto.randomUUID(),
            tenantId: input.tenantId,
            generationId: input.generationId,
            outputIndex,
            storageKey: keys.full,
            thumbKey: keys.thumb,
            width: img.width,
            height: img.height,
            thumbWidth: img.thumbWidth,
            thumbHeight: img.thumbHeight,
            bytes: img.bytes,
            sha256: img.sha256,
            seed: BigInt(input.seed),
          },
          update: {},
        });
        stored.push({ id: row.id, width: row.width, height: row.height, sha256: row.sha256 });
      }
      if (stored.length === 0) throw new Error("The ComfyUI graph finished without saving any image (no SaveImage output)");
      return stored;
    },
  };
}

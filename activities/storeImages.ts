/**
 * After the GPU: fetch each output from the instance that made it, post-process with sharp (WebP,
 * bounded size, thumbnail, metadata stripped), store it content-addressed, and record it. A step of
 * its own after the GPU activity, so a storage hiccup is retried without paying for the GPU again.
 */
import type { PrismaClient } from "../lib/db/generated/client";
import type { ComfyInstance } from "../lib/config";
import { fetchComfyOutput, type ComfyOutputRef } from "./comfyui/generate";
import type { ImageStore } from "../lib/storage";
import { storeImageBytes, type StoredImage } from "./storeImageBytes";

export type { StoredImage };

export function createImageStoreActivities(deps: {
  prisma: PrismaClient;
  store: ImageStore;
  instances: ComfyInstance[];
  imaging: { maxEdge: number; thumbEdge: number; quality: number };
}) {
  return {
    /** `firstOutputIndex`: where these outputs go among the generation's images (flows that run several prompts). */
    async storeImages(input: {
      generationId: string;
      tenantId: string;
      instance: string;
      outputs: ComfyOutputRef[];
      seed: number;
      firstOutputIndex?: number;
      /** The prompt the images were made from, recorded when the flow has not recorded it itself (another take reuses it). */
      prompt?: string;
    }): Promise<StoredImage[]> {
      const instance = deps.instances.find((i) => i.name === input.instance);
      if (!instance) throw new Error(`Unknown ComfyUI instance "${input.instance}"`);
      const stored: StoredImage[] = [];
      for (const [i, ref] of input.outputs.entries()) {
        const outputIndex = (input.firstOutputIndex ?? 0) + i;
        // An output an earlier attempt stored already keeps its image (and needs no bytes from the instance).
        const bytes = fetchComfyOutput(instance.url, ref);
        stored.push(await storeImageBytes(deps, { generationId: input.generationId, tenantId: input.tenantId, outputIndex, bytes, seed: input.seed }));
      }
      if (stored.length === 0) throw new Error("The ComfyUI graph finished without saving any image (no SaveImage output)");
      if (input.prompt !== undefined) await deps.prisma.generation.updateMany({ where: { id: input.generationId, prompt: null }, data: { prompt: input.prompt } });
      return stored;
    },
  };
}

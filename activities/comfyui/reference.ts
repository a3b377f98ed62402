/**
 * Puts a stored picture into a ComfyUI instance's input folder (`POST /upload/image`), so a
 * `LoadImage` node there can start from it: how an angle series feeds its main view to the other
 * angles, on whichever instance each of them lands.
 */
import { ApplicationFailure } from "@temporalio/common";
import { loadSharp } from "../../lib/sharp";
import type { ComfyInstance } from "../../lib/config";
import type { PrismaClient } from "../../lib/db/generated/client";
import type { ImageStore } from "../../lib/storage";

export function createReferenceActivities(deps: { prisma: PrismaClient; store: ImageStore; instances: ComfyInstance[] }) {
  return {
    /** Uploads the first image of `sourceGenerationId` to `instance`; returns the name LoadImage takes. */
    async uploadReference(input: { sourceGenerationId: string; instance: string }): Promise<string> {
      const instance = deps.instances.find((i) => i.name === input.instance);
      if (!instance) throw ApplicationFailure.nonRetryable(`Unknown ComfyUI instance "${input.instance}"`, "UnknownInstance");
      const image = await deps.prisma.image.findFirst({ where: { generationId: input.sourceGenerationId }, orderBy: { outputIndex: "asc" } });
      if (!image) throw ApplicationFailure.nonRetryable(`Generation ${input.sourceGenerationId} has no stored image to use as a reference`, "NoReferenceImage");
      const stored = await deps.store.get(image.storageKey);
      if (!stored) throw ApplicationFailure.nonRetryable(`The stored file of image ${image.id} is missing`, "NoReferenceImage");
      // PNG is what every ComfyUI build's LoadImage reads; the same name makes a repeated upload a no-op.
      const sharp = await loadSharp();
      const png = await sharp(stored).png().toBuffer();
      const form = new FormData();
      form.append("image", new Blob([new Uint8Array(png)], { type: "image/png" }), `darkroom-ref-${input.sourceGenerationId}.png`);
      form.append("type", "input");
      form.append("overwrite", "true");
      const res = await fetch(`${instance.url}/upload/image`, { method: "POST", body: form, signal: AbortSignal.timeout(15_000) });
      if (!res.ok) throw new Error(`ComfyUI ${instance.name} refused the reference upload: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
      const body = (await res.json()) as { name?: string; subfolder?: string };
      if (!body.name) throw new Error(`ComfyUI ${instance.name} answered the upload without a file name`);
      return body.subfolder ? `${body.subfolder}/${body.name}` : body.name;
    },
  };
}

/**
 * sharp (libvips), loaded on first use: the workers process images, the API never does, and loading
 * the library costs a process about 45 MB of resident memory.
 */
import type sharpType from "sharp";

let loaded: Promise<typeof sharpType> | undefined;

export function loadSharp(): Promise<typeof sharpType> {
  loaded ??= import("sharp").then((m) => m.default);
  return loaded;
}

/**
 * Turns whatever a generator produced into what the chat serves: an upright WebP of bounded size,
 * a thumbnail, no metadata (generators embed prompts, workflows and seeds in PNG text chunks; cameras
 * embed GPS in EXIF), and a content hash for content-addressed storage.
 */
import { createHash } from "node:crypto";
import type { Metadata } from "sharp";
import { loadSharp } from "../lib/sharp";

export interface ProcessedImage {
  webp: Buffer;
  thumb: Buffer;
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  /** Hex SHA-256 of `webp`. */
  sha256: string;
  /** Size of `webp` in bytes. */
  bytes: number;
}

export interface PostProcessOptions {
  maxEdge: number;
  thumbEdge: number;
  /** WebP quality, 1–100. */
  quality: number;
  /** Refuse inputs with more pixels than this (decompression bombs); default 64 megapixels. */
  maxInputPixels?: number;
}

/** The input cannot be turned into a picture; retrying the same bytes will not help. */
export class InvalidImageError extends Error {
  override readonly name = "InvalidImageError";
}

export const DEFAULT_MAX_INPUT_PIXELS = 64_000_000;

/** Raster formats generators produce; vector and document formats (SVG, PDF) are refused outright. */
const ACCEPTED_FORMATS = new Set<string | undefined>(["png", "jpeg", "webp", "avif", "heif", "gif"]);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** libvips' WebP effort (0–6): 2 costs about half the CPU of the default 4 for a few % more bytes. */
const WEBP_EFFORT = 2;

export async function postProcessImage(input: Uint8Array, opts: PostProcessOptions): Promise<ProcessedImage> {
  const sharp = await loadSharp();
  const maxInputPixels = opts.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  if (input.byteLength === 0) throw new InvalidImageError("The image is empty (0 bytes); the generator returned no data.");

  let metadata: Metadata;
  try {
    // Only the header is read here, so the pixel limit is checked below with a message of our own.
    metadata = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new InvalidImageError(`Not a readable image (${describe(error)}); expected PNG, JPEG or WebP bytes from the generator.`);
  }
  if (!ACCEPTED_FORMATS.has(metadata.format)) {
    throw new InvalidImageError(`Images in "${metadata.format}" format are not accepted; send PNG, JPEG, WebP, AVIF or GIF.`);
  }
  const { width = 0, height = 0 } = metadata;
  if (width * height > maxInputPixels) {
    throw new InvalidImageError(
      `The image is ${width}×${height} pixels, more than the ${maxInputPixels} allowed; refusing it as a possible decompression bomb.`,
    );
  }

  // "error" also rejects truncated files: a half-downloaded PNG must not become a half-grey picture.
  const source = sharp(input, { limitInputPixels: maxInputPixels, failOn: "error" });
  // Orientation is applied to the pixels first, because stripping metadata drops the EXIF tag that carried it.
  const upright = source.autoOrient();
  try {
    // Decode and resize once; both encodes start from the same bounded pixels, which halves the
    // work of decoding a large PNG twice.
    const { data: pixels, info } = await upright
      .resize({ width: opts.maxEdge, height: opts.maxEdge, fit: "inside", withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    const [full, thumb] = await Promise.all([
      sharp(pixels, raw).webp({ quality: opts.quality, effort: WEBP_EFFORT }).toBuffer({ resolveWithObject: true }),
      sharp(pixels, raw)
        .resize({ width: opts.thumbEdge, height: opts.thumbEdge, fit: "inside", withoutEnlargement: true })
        .webp({ quality: opts.quality, effort: WEBP_EFFORT })
        .toBuffer({ resolveWithObject: true }),
    ]);
    return {
      webp: full.data,
      thumb: thumb.data,
      width: full.info.width,
      height: full.info.height,
      thumbWidth: thumb.info.width,
      thumbHeight: thumb.info.height,
      sha256: createHash("sha256").update(full.data).digest("hex"),
      bytes: full.data.byteLength,
    };
  } catch (error) {
    throw new InvalidImageError(`The image could not be decoded (${describe(error)}); it may be truncated or corrupt.`);
  }
}

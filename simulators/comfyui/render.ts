/**
 * Procedural "diffusion": a deterministic picture per (seed, positive prompt, model), drawn as SVG
 * and rasterised by sharp, so every output is a real image whose content depends on its inputs.
 */
import sharp from "sharp";

export interface PictureSpec {
  width: number;
  height: number;
  seed: number;
  positive: string;
  checkpoint: string;
  loras: string[];
}

/** mulberry32: tiny, fast and good enough to spread a hash over colours and positions. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pictureSvg(spec: PictureSpec, batchIndex: number, width: number, height: number): string {
  const hash = Bun.hash(`${spec.seed + batchIndex}\u0000${spec.positive}\u0000${spec.checkpoint}\u0000${spec.loras.join(",")}`);
  const next = random(Number(BigInt.asUintN(32, BigInt(hash))));
  const hue = () => Math.floor(next() * 360);
  const colour = (s: number, l: number) => `hsl(${hue()},${s}%,${l}%)`;
  const shapes: string[] = [];
  const count = 5 + Math.floor(next() * 6);
  const unit = Math.min(width, height);
  for (let i = 0; i < count; i++) {
    const x = (next() * width).toFixed(1);
    const y = (next() * height).toFixed(1);
    const fill = colour(50 + Math.floor(next() * 50), 35 + Math.floor(next() * 40));
    const opacity = (0.35 + next() * 0.5).toFixed(2);
    const size = unit * (0.08 + next() * 0.35);
    if (next() < 0.5) {
      shapes.push(`<circle cx="${x}" cy="${y}" r="${size.toFixed(1)}" fill="${fill}" fill-opacity="${opacity}"/>`);
    } else {
      const angle = Math.floor(next() * 180);
      shapes.push(
        `<rect x="${x}" y="${y}" width="${(size * 1.6).toFixed(1)}" height="${size.toFixed(1)}" fill="${fill}" fill-opacity="${opacity}" transform="rotate(${angle} ${x} ${y})"/>`,
      );
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs><linearGradient id="sky" x1="0" y1="0" x2="${next().toFixed(2)}" y2="1">` +
    `<stop offset="0" stop-color="${colour(60, 70)}"/><stop offset="1" stop-color="${colour(60, 25)}"/></linearGradient></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#sky)"/>${shapes.join("")}</svg>`
  );
}

/**
 * The finished image, as ComfyUI would save it (compress_level 4), without metadata: RGB, no alpha
 * channel, since SaveImage writes the 3-channel pixels a VAE decodes.
 */
export async function renderPicture(spec: PictureSpec, batchIndex: number): Promise<Buffer> {
  return sharp(Buffer.from(pictureSvg(spec, batchIndex, spec.width, spec.height)))
    .removeAlpha()
    .png({ compressionLevel: 4 })
    .toBuffer();
}

/** upstream's default --preview-size: server.py shrinks every preview to fit this square. */
const MAX_PREVIEW_RESOLUTION = 512;

/**
 * A preview JPEG that sharpens as sampling goes on (`progress` from 0, noise, to 1, done), the
 * size a TAESD previewer draws (the picture's own size, as in the recordings) shrunk to fit
 * 512 px as server.py does.
 */
export async function renderPreview(spec: PictureSpec, progress: number): Promise<Buffer> {
  const scale = Math.min(1, MAX_PREVIEW_RESOLUTION / Math.max(spec.width, spec.height));
  const width = Math.max(8, Math.round(spec.width * scale));
  const height = Math.max(8, Math.round(spec.height * scale));
  // The blur a 1/8-size latent picture would show, at this size.
  const sigma = (0.3 + (1 - progress) * 3) * (Math.max(width, height) / Math.max(8, Math.max(spec.width, spec.height) / 8));
  return sharp(Buffer.from(pictureSvg(spec, 0, width, height)))
    .blur(sigma)
    .jpeg({ quality: 80 })
    .toBuffer();
}

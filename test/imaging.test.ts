import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import zlib from "node:zlib";
import sharp from "sharp";
import { InvalidImageError, postProcessImage } from "../activities/imaging";

const options = { maxEdge: 1536, thumbEdge: 256, quality: 80 };
const SECRET_PROMPT = "masterpiece, secret-prompt-7f3a";

function solid(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } });
}

/** Inserts a PNG tEXt chunk after IHDR, the way ComfyUI and A1111 embed prompts and workflows. */
function withTextChunk(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.from(`${keyword}\0${text}`, "latin1");
  const type = Buffer.from("tEXt", "latin1");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([type, data])));
  const afterIhdr = 8 + 4 + 4 + 13 + 4;
  return Buffer.concat([png.subarray(0, afterIhdr), length, type, data, crc, png.subarray(afterIhdr)]);
}

async function expectNoMetadata(webp: Buffer) {
  const meta = await sharp(webp).metadata();
  expect(meta.format).toBe("webp");
  expect(meta.exif).toBeUndefined();
  expect(meta.xmp).toBeUndefined();
  expect(meta.icc).toBeUndefined();
  expect(meta.iptc).toBeUndefined();
  expect(meta.comments).toBeUndefined();
  expect(meta.orientation).toBeUndefined();
  expect(webp.includes("secret-prompt")).toBe(false);
}

describe("postProcessImage", () => {
  test("a large PNG with an embedded prompt becomes a bounded WebP and thumbnail with no metadata", async () => {
    const png = withTextChunk(await solid(2400, 1600).png().toBuffer(), "parameters", SECRET_PROMPT);
    // The fixture really carries the text chunk before processing.
    expect((await sharp(png).metadata()).comments).toEqual([{ keyword: "parameters", text: SECRET_PROMPT }]);

    const result = await postProcessImage(png, options);
    expect([result.width, result.height]).toEqual([1536, 1024]);
    expect([result.thumbWidth, result.thumbHeight]).toEqual([256, 171]);
    expect(result.bytes).toBe(result.webp.byteLength);
    expect(result.sha256).toBe(createHash("sha256").update(result.webp).digest("hex"));
    const thumbMeta = await sharp(result.thumb).metadata();
    expect([thumbMeta.format, thumbMeta.width, thumbMeta.height]).toEqual(["webp", 256, 171]);
    await expectNoMetadata(result.webp);
    await expectNoMetadata(result.thumb);
  });

  test("a JPEG with EXIF is turned upright and stripped", async () => {
    // Stored landscape 400×200 with orientation 6 (rotate 90°): viewers show it portrait 200×400.
    const jpeg = await solid(400, 200)
      .jpeg()
      .withExif({ IFD0: { Copyright: SECRET_PROMPT, Make: "PhoneCam" } })
      .withMetadata({ orientation: 6 })
      .withIccProfile("p3")
      .toBuffer();
    const before = await sharp(jpeg).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif).toBeDefined();
    expect(before.icc).toBeDefined();

    const result = await postProcessImage(jpeg, options);
    // Small images are not enlarged, but they are turned the way they are meant to be seen.
    expect([result.width, result.height]).toEqual([200, 400]);
    expect([result.thumbWidth, result.thumbHeight]).toEqual([128, 256]);
    await expectNoMetadata(result.webp);
  });

  test("the same input always gives the same hash; a different picture a different one", async () => {
    const png = await solid(640, 480).png().toBuffer();
    const [a, b] = await Promise.all([postProcessImage(png, options), postProcessImage(png, options)]);
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    const other = await postProcessImage(await solid(640, 481).png().toBuffer(), options);
    expect(other.sha256).not.toBe(a.sha256);
  });

  test("bytes that are not an image, empty or truncated input are refused with a clear error", async () => {
    const notAnImage = new TextEncoder().encode("<html>502 Bad Gateway</html>");
    await expect(postProcessImage(notAnImage, options)).rejects.toThrow(/Not a readable image/);
    await expect(postProcessImage(notAnImage, options)).rejects.toBeInstanceOf(InvalidImageError);
    await expect(postProcessImage(new Uint8Array(), options)).rejects.toThrow(/empty/);

    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    await expect(postProcessImage(truncated, options)).rejects.toThrow(/truncated or corrupt/);

    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await expect(postProcessImage(svg, options)).rejects.toThrow(/"svg" format are not accepted/);
  });

  test("images with more pixels than allowed are refused before decoding", async () => {
    const png = await solid(1000, 1000).png().toBuffer();
    const attempt = postProcessImage(png, { ...options, maxInputPixels: 999_999 });
    await expect(attempt).rejects.toBeInstanceOf(InvalidImageError);
    await expect(attempt).rejects.toThrow(/1000×1000 pixels.*decompression bomb/);
  });
});

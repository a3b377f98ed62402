/**
 * The preview frame decoder against what real ComfyUI 0.3.64 sent: every binary frame the
 * recordings kept (event number, image type or metadata length, first bytes, total size) is
 * rebuilt byte for byte as far as recorded and decoded, in both framings.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { PreviewReporter, previewWebp, type ComfyPreview } from "../activities/comfyui/preview";
import { readPreviewFrame } from "../activities/comfyui/protocol";
import { pythonJson } from "../lib/live/pythonJson";

const FIXTURES = path.join(import.meta.dir, "fixtures", "comfyui-0.3.64");

interface RecordedHeader {
  event: number;
  bytes: number;
  image_type?: number;
  image_magic?: string;
  metadata_length?: number;
  metadata_starts_with?: string;
}

/** Every binary frame header in the recordings, with the file it came from. */
function recordedFrames(): Array<{ file: string; header: RecordedHeader }> {
  const out: Array<{ file: string; header: RecordedHeader }> = [];
  for (const file of fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".json"))) {
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(walk);
      if (value === null || typeof value !== "object") return;
      const binary = (value as { binary?: unknown }).binary;
      if (binary && typeof binary === "object") out.push({ file, header: binary as RecordedHeader });
      Object.values(value).forEach(walk);
    };
    walk(JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")));
  }
  return out;
}

/**
 * The metadata upstream's send_image_with_metadata writes for a node of a prompt (json.dumps
 * spacing); the recording's notes derive the keys, and the recorded length checks them.
 */
const metadataFor = (promptId: string, nodeId: string) =>
  pythonJson({ node_id: nodeId, prompt_id: promptId, display_node_id: nodeId, parent_node_id: null, real_node_id: nodeId, image_type: "image/jpeg" });

const JPEG_START = Buffer.from("ffd8ffe0", "hex");

/** A frame as the recording describes it: its header, then the image's recorded first bytes, padded to the recorded size. */
function rebuild(header: RecordedHeader, promptId: string): { frame: Uint8Array; imageLength: number; metadata?: string } {
  const frame = new Uint8Array(header.bytes);
  const view = new DataView(frame.buffer);
  view.setUint32(0, header.event);
  if (header.event === 1) {
    view.setUint32(4, header.image_type!);
    frame.set(Buffer.from(header.image_magic!, "hex"), 8);
    return { frame, imageLength: header.bytes - 8 };
  }
  const metadata = metadataFor(promptId, "4");
  const encoded = new TextEncoder().encode(metadata);
  view.setUint32(4, header.metadata_length!);
  frame.set(encoded, 8);
  frame.set(JPEG_START, 8 + encoded.byteLength);
  return { frame, imageLength: header.bytes - 8 - encoded.byteLength, metadata };
}

describe("ComfyUI preview frames", () => {
  const frames = recordedFrames();

  test("the recordings hold frames of both framings", () => {
    expect(frames.some((f) => f.header.event === 1)).toBe(true);
    expect(frames.some((f) => f.header.event === 4)).toBe(true);
    expect(frames.every((f) => f.header.event === 1 || f.header.event === 4)).toBe(true);
  });

  test("event 1 frames: a JPEG with no prompt named (the socket credits it to the executing prompt)", () => {
    for (const { header } of frames.filter((f) => f.header.event === 1)) {
      const { frame, imageLength } = rebuild(header, "unused");
      const decoded = readPreviewFrame(frame);
      expect(decoded).toMatchObject({ event: 1, mime: "image/jpeg" });
      expect(decoded!.image.byteLength).toBe(imageLength);
      expect(Buffer.from(decoded!.image.subarray(0, 4)).toString("hex")).toBe(header.image_magic!);
      expect(decoded!.prompt_id).toBeUndefined();
      // The same frame handed over as a Buffer view into a larger allocation (as `ws` does on Node).
      const pooled = Buffer.concat([Buffer.alloc(13), frame]).subarray(13);
      expect(readPreviewFrame(pooled)!.image.byteLength).toBe(imageLength);
    }
  });

  test("event 4 frames: the metadata names the prompt and node, and its recorded length is what upstream writes", () => {
    const promptId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    for (const { header } of frames.filter((f) => f.header.event === 4)) {
      const { frame, imageLength, metadata } = rebuild(header, promptId);
      expect(new TextEncoder().encode(metadata!).byteLength).toBe(header.metadata_length!);
      expect(metadata!.startsWith(header.metadata_starts_with!)).toBe(true);
      const decoded = readPreviewFrame(frame);
      expect(decoded).toMatchObject({ event: 4, mime: "image/jpeg", prompt_id: promptId, node: "4" });
      expect(decoded!.image.byteLength).toBe(imageLength);
      expect(Buffer.from(decoded!.image.subarray(0, 4)).toString("hex")).toBe("ffd8ffe0");
    }
  });

  test("PNG previews, other binary events and malformed frames", () => {
    const frame = (event: number, word: number, rest: Uint8Array) => {
      const out = new Uint8Array(8 + rest.byteLength);
      new DataView(out.buffer).setUint32(0, event);
      new DataView(out.buffer).setUint32(4, word);
      out.set(rest, 8);
      return out;
    };
    const png = Buffer.from("89504e470d0a1a0a", "hex");
    expect(readPreviewFrame(frame(1, 2, png))).toMatchObject({ event: 1, mime: "image/png" });
    const pngMeta = new TextEncoder().encode(pythonJson({ node_id: "9", prompt_id: "p", image_type: "image/png" }));
    expect(readPreviewFrame(frame(4, pngMeta.byteLength, new Uint8Array([...pngMeta, ...png])))).toMatchObject({ event: 4, mime: "image/png", prompt_id: "p", node: "9" });
    // Event 3 (text) and 2 (unencoded) are not previews darkroom reads.
    expect(readPreviewFrame(frame(3, 5, png))).toBeUndefined();
    expect(readPreviewFrame(frame(2, 1, png))).toBeUndefined();
    // Too short, an unknown image type, no image after the header.
    expect(readPreviewFrame(new Uint8Array([0, 0, 0, 1]))).toBeUndefined();
    expect(readPreviewFrame(frame(1, 7, png))).toBeUndefined();
    expect(readPreviewFrame(frame(1, 1, new Uint8Array()))).toBeUndefined();
    // Metadata longer than the frame, not JSON, or an image type that is not a picture's.
    expect(readPreviewFrame(frame(4, 500, png))).toBeUndefined();
    expect(readPreviewFrame(frame(4, 3, new Uint8Array([...new TextEncoder().encode("{no"), ...png])))).toBeUndefined();
    const odd = new TextEncoder().encode(JSON.stringify({ prompt_id: "p", image_type: "video/mp4" }));
    expect(readPreviewFrame(frame(4, odd.byteLength, new Uint8Array([...odd, ...png])))).toBeUndefined();
  });

  test("a frame's JPEG becomes a WebP of at most 256 px, keeping its shape", async () => {
    const jpeg = await sharp({ create: { width: 512, height: 384, channels: 3, background: { r: 200, g: 90, b: 40 } } }).jpeg().toBuffer();
    const preview = await previewWebp(jpeg);
    const meta = await sharp(preview.webp).metadata();
    expect(meta.format).toBe("webp");
    expect([meta.width, meta.height]).toEqual([256, 192]);
    expect([preview.width, preview.height]).toEqual([256, 192]);
    // Small previews are not enlarged.
    const small = await previewWebp(await sharp({ create: { width: 64, height: 64, channels: 3, background: "#333" } }).jpeg().toBuffer());
    expect([small.width, small.height]).toEqual([64, 64]);
  });

  test("the sampler's last step goes out at once, not held back by the interval until the prompt ends", async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#468" } }).jpeg().toBuffer();
    const sent: ComfyPreview[] = [];
    const reporter = new PreviewReporter("g", "gpu0", (p) => void sent.push(p), (err) => { throw err; }, { minIntervalMs: 60_000, maxEdge: 256, quality: 70 });
    // Four steps at once, each `progress` followed by its event-1 frame: the first goes out, the
    // middle two are throttled away, the last goes out without waiting a minute or for finish().
    for (let step = 1; step <= 4; step++) {
      reporter.observe("p", { type: "progress", value: step, max: 4, node: "3" });
      reporter.observe("p", { type: "preview", image: jpeg, mime: "image/jpeg", node: "3", framing: 1 });
    }
    const deadline = Date.now() + 5000;
    while (sent.length < 2 && Date.now() < deadline) await Bun.sleep(5);
    expect(sent.map((p) => p.step)).toEqual([1, 4]);
    await reporter.finish();
    expect(sent.map((p) => p.step)).toEqual([1, 4]);
  });
});

/**
 * Adds text chunks to a PNG the way ComfyUI's SaveImage does through PIL's PngInfo:
 * `tEXt` when the value is Latin-1, `iTXt` (UTF-8) otherwise, placed right after IHDR.
 */
import { crc32 } from "node:zlib";

const PNG_SIGNATURE_LENGTH = 8;
const IHDR_CHUNK_LENGTH = 4 + 4 + 13 + 4;

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const out = Buffer.alloc(4 + typeAndData.length + 4);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData) >>> 0, 4 + typeAndData.length);
  return out;
}

function isLatin1(text: string): boolean {
  return /^[\u0000-\u00ff]*$/.test(text);
}

function textChunk(keyword: string, text: string): Buffer {
  if (isLatin1(text)) return chunk("tEXt", Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0]), Buffer.from(text, "latin1")]));
  // iTXt: keyword, NUL, compression flag, compression method, empty language tag + NUL, empty translated keyword + NUL, UTF-8 text.
  return chunk("iTXt", Buffer.concat([Buffer.from(keyword, "latin1"), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, "utf8")]));
}

export function withTextChunks(png: Buffer, entries: Record<string, string>): Buffer {
  const headEnd = PNG_SIGNATURE_LENGTH + IHDR_CHUNK_LENGTH;
  if (png.subarray(12, 16).toString("latin1") !== "IHDR") throw new Error("not a PNG with a leading IHDR chunk");
  const chunks = Object.entries(entries).map(([k, v]) => textChunk(k, v));
  return Buffer.concat([png.subarray(0, headEnd), ...chunks, png.subarray(headEnd)]);
}

/** Reads back every tEXt/iTXt chunk; the tests use it to check what SaveImage embedded. */
export function readTextChunks(png: Buffer): Record<string, string> {
  const found: Record<string, string> = {};
  let at = PNG_SIGNATURE_LENGTH;
  while (at + 8 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString("latin1");
    const data = png.subarray(at + 8, at + 8 + length);
    const nul = data.indexOf(0);
    if (type === "tEXt" && nul > 0) found[data.subarray(0, nul).toString("latin1")] = data.subarray(nul + 1).toString("latin1");
    if (type === "iTXt" && nul > 0) {
      let textStart = nul + 3;
      textStart = data.indexOf(0, textStart) + 1;
      textStart = data.indexOf(0, textStart) + 1;
      found[data.subarray(0, nul).toString("latin1")] = data.subarray(textStart).toString("utf8");
    }
    if (type === "IEND") break;
    at += 12 + length;
  }
  return found;
}

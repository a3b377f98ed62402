/**
 * A persona's reference picture in a ComfyUI instance's input folder, where `LoadImage` reads it.
 *
 * The name is content-addressed (`darkroom-<first 16 hex of the file's sha256>.png`), so it is known
 * without asking the instance (the chat-image cache key includes it), a changed picture gets a new
 * name, and an upload of the same picture is harmless. Before a job the GPU worker asks the instance
 * whether the file is there (`GET /view?type=input`, body not read) and uploads it only when it is
 * not: once per instance, and again whenever an instance comes back without it (a replaced machine,
 * a wiped input folder). A plain ComfyUI restart keeps its input folder, so it costs no upload.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { loadSharp } from "../../lib/sharp";
import type { ComfyInstance } from "../../lib/config";

/** The content-addressed name a picture's bytes get in every instance's input folder. */
export function inputImageName(bytes: Uint8Array): string {
  return `darkroom-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.png`;
}

const bounded = (ms: number, signal?: AbortSignal) => (signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms));

/** Uploads running now, per instance and name: two jobs starting together upload once. */
const inFlight = new Map<string, Promise<void>>();

async function isThere(instance: ComfyInstance, name: string, signal?: AbortSignal): Promise<boolean> {
  const url = `${instance.url}/view?${new URLSearchParams({ filename: name, type: "input", subfolder: "" })}`;
  const res = await fetch(url, { signal: bounded(10_000, signal) });
  // Only the status matters; the picture's bytes are not wanted.
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw new Error(`ComfyUI ${instance.name} answered ${res.status} when asked for input file ${name}`);
}

async function upload(instance: ComfyInstance, file: string, name: string, signal?: AbortSignal): Promise<void> {
  const bytes = await readFile(file);
  if (inputImageName(bytes) !== name) throw new Error(`Reference picture ${file} changed on disk since the persona was loaded; restart to load it again`);
  // PNG is what every ComfyUI build's LoadImage reads.
  const sharp = await loadSharp();
  const png = await sharp(bytes).png().toBuffer();
  const form = new FormData();
  form.append("image", new Blob([new Uint8Array(png)], { type: "image/png" }), name);
  form.append("type", "input");
  form.append("overwrite", "true");
  const res = await fetch(`${instance.url}/upload/image`, { method: "POST", body: form, signal: bounded(30_000, signal) });
  if (!res.ok) throw new Error(`ComfyUI ${instance.name} refused the reference upload: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  const body = (await res.json()) as { name?: string; subfolder?: string };
  if (body.name !== name || body.subfolder) throw new Error(`ComfyUI ${instance.name} stored the reference as "${body.subfolder ? `${body.subfolder}/` : ""}${body.name}", not "${name}"`);
}

/** Makes sure `name` (the picture in `file`) is in the instance's input folder; uploads it when missing. */
export async function ensureInputImage(instance: ComfyInstance, ref: { file: string; name: string }, signal?: AbortSignal): Promise<void> {
  const key = `${instance.url}\n${ref.name}`;
  const running = inFlight.get(key);
  if (running) return running;
  const job = (async () => {
    if (!(await isThere(instance, ref.name, signal))) await upload(instance, ref.file, ref.name, signal);
  })().finally(() => inFlight.delete(key));
  inFlight.set(key, job);
  return job;
}

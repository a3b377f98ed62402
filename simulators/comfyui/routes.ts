/**
 * HTTP routes of one simulated ComfyUI, shaped like server.py's (every route also under /api),
 * plus the `/_sim/` controls real ComfyUI lacks, for tests that drive the simulator from elsewhere.
 */
import os from "node:os";
import path from "node:path";
import type { Server } from "bun";
import { CHECKPOINTS, LORAS, objectInfo } from "./catalog";
import type { ComfyProcess } from "./comfy-process";
import type { ComfyFolders } from "./folders";
import { SERVER_FEATURES, type SocketData } from "./sockets";
import type { ComfyError, InjectedFailure, PromptGraph, QueueItem, SimRun } from "./types";
import { jobById, listJobs, type JobSources } from "./jobs";
import { validatePrompt } from "./validate";

export interface SimControls {
  runs: SimRun[];
  submitted: string[];
  submittedPrompts: Array<{ promptId: string; prompt: Record<string, unknown> }>;
  uploads: string[];
  failNext(count: number, error?: InjectedFailure): void;
  setStepMs(ms: number): void;
  stallSockets(stalled: boolean): void;
  setPreviewMetadata(supported: boolean): void;
  restart(): Promise<void>;
}

export interface RouteContext {
  /** Whether this instance serves the post-0.3.64 job API. */
  jobsApi: boolean;
  process: ComfyProcess;
  folders: ComfyFolders;
  controls: SimControls;
  port: number;
}

type Handler = (req: Request, url: URL, params: string[], ctx: RouteContext, server: Server<SocketData>) => Response | undefined | Promise<Response | undefined>;

const COMFYUI_VERSION = "0.3.64";
const VRAM_TOTAL = 25_393_692_672;
const CONTENT_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".json": "application/json",
};

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** server.py answers a body without a `prompt` this way (node_errors an empty object, as everywhere else). */
function noPrompt(): Response {
  const error: ComfyError = { type: "no_prompt", message: "No prompt provided", details: "No prompt provided", extra_info: {} };
  return Response.json({ error, node_errors: {} }, { status: 400 });
}

/** aiohttp's answer when a handler raises, as server.py's post_prompt does on a body it cannot read. */
function serverError(): Response {
  return new Response("500 Internal Server Error\n\nServer got itself in trouble", { status: 500, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

const postPrompt: Handler = async (req, _url, _params, ctx) => {
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    return serverError();
  }
  // server.py tests `"number" in json_data` and `"prompt" in json_data`: fine on objects, arrays and
  // strings (never there), a TypeError (so a 500) on numbers, booleans and null.
  if (body === null || (typeof body !== "object" && typeof body !== "string")) return serverError();
  const fields: Record<string, unknown> = isObject(body) ? body : {};

  const { process, controls } = ctx;
  let number: number;
  if (typeof fields.number === "number") number = fields.number;
  else {
    number = process.takeNumber();
    if (fields.front) number = -number;
  }
  if (!("prompt" in fields)) return noPrompt();
  if (!isObject(fields.prompt)) return serverError();

  const prompt = fields.prompt as PromptGraph;
  const promptId = fields.prompt_id === undefined || fields.prompt_id === null ? crypto.randomUUID() : String(fields.prompt_id);
  const validation = validatePrompt(prompt, process.catalog());
  if (!validation.ok) return Response.json({ error: validation.error, node_errors: validation.nodeErrors }, { status: 400 });

  const extraData: Record<string, unknown> = isObject(fields.extra_data) ? { ...fields.extra_data } : {};
  if (typeof fields.client_id === "string") extraData.client_id = fields.client_id;
  // Builds with the job API stamp every accepted prompt; the job list sorts on it.
  if (ctx.jobsApi) extraData.create_time = Date.now();
  const item: QueueItem = [number, promptId, prompt, extraData, validation.outputs];
  controls.submitted.push(promptId);
  controls.submittedPrompts.push({ promptId, prompt: prompt as Record<string, unknown> });
  process.queue.put(item);
  return Response.json({ prompt_id: promptId, number, node_errors: validation.nodeErrors });
};

const postQueue: Handler = async (req, _url, _params, ctx) => {
  const body = await readJson(req);
  if (isObject(body)) {
    if (body.clear) ctx.process.queue.wipePending();
    if (Array.isArray(body.delete)) for (const id of body.delete) ctx.process.queue.deletePending(String(id));
  }
  return new Response(null, { status: 200 });
};

const postInterrupt: Handler = async (req, _url, _params, ctx) => {
  const body = await readJson(req);
  const promptId = isObject(body) && typeof body.prompt_id === "string" ? body.prompt_id : undefined;
  ctx.process.interrupt(promptId);
  return new Response(null, { status: 200 });
};

const getHistory: Handler = (_req, url, params, ctx) => {
  const maxItems = url.searchParams.get("max_items");
  const offset = url.searchParams.get("offset");
  return Response.json(
    ctx.process.queue.historyOf(
      params[0] === undefined ? undefined : decodeURIComponent(params[0]),
      maxItems === null ? undefined : Number(maxItems),
      offset === null ? -1 : Number(offset),
    ),
  );
};

const postHistory: Handler = async (req, _url, _params, ctx) => {
  const body = await readJson(req);
  if (isObject(body)) {
    if (body.clear) ctx.process.queue.wipeHistory();
    if (Array.isArray(body.delete)) for (const id of body.delete) ctx.process.queue.deleteHistory(String(id));
  }
  return new Response(null, { status: 200 });
};

const getView: Handler = (_req, url, _params, ctx) => {
  const found = ctx.folders.view(url.searchParams);
  if ("status" in found) return new Response(null, { status: found.status });
  return new Response(Bun.file(found.file), {
    headers: {
      "Content-Type": CONTENT_TYPES[path.extname(found.filename).toLowerCase()] ?? "application/octet-stream",
      "Content-Disposition": `filename="${found.filename}"`,
    },
  });
};

const postUpload: Handler = async (req, _url, _params, ctx) => {
  let form: FormData;
  try {
    form = await req.formData();
  } catch {
    return new Response(null, { status: 400 });
  }
  const image = form.get("image");
  if (!(image instanceof Blob) || !("name" in image) || !image.name) return new Response(null, { status: 400 });
  const type = String(form.get("type") ?? "input") || "input";
  const root = ctx.folders.byType(type);
  if (!root) return new Response(null, { status: 400 });
  const subfolder = String(form.get("subfolder") ?? "");
  const folder = path.resolve(root, subfolder);
  if (folder !== root && !folder.startsWith(root + path.sep)) return new Response(null, { status: 400 });
  const overwrite = ["true", "1"].includes(String(form.get("overwrite") ?? "").toLowerCase());
  let filename = path.basename(String(image.name));
  const ext = path.extname(filename);
  const stem = filename.slice(0, filename.length - ext.length);
  for (let i = 1; !overwrite && (await Bun.file(path.join(folder, filename)).exists()); i++) filename = `${stem} (${i})${ext}`;
  await Bun.write(path.join(folder, filename), image);
  ctx.controls.uploads.push(subfolder ? `${subfolder}/${filename}` : filename);
  return Response.json({ name: filename, subfolder, type });
};

/** What one SDXL checkpoint occupies in VRAM (fp16 UNet, CLIP and VAE). */
const CHECKPOINT_VRAM = 6_938_000_000;

const getSystemStats: Handler = (_req, _url, _params, ctx) => {
  const busy = ctx.process.queue.current !== undefined;
  // Each checkpoint kept in VRAM (when model loading is simulated) takes an SDXL checkpoint's share.
  const resident = ctx.process.loadedModels.length * CHECKPOINT_VRAM;
  const vramFree = Math.max(0, Math.round(VRAM_TOTAL * (busy ? 0.31 : 0.93)) - resident);
  return Response.json({
    system: {
      os: "posix",
      ram_total: os.totalmem(),
      ram_free: os.freemem(),
      comfyui_version: COMFYUI_VERSION,
      required_frontend_version: "1.28.7",
      python_version: "3.12.3 (main, Sep 11 2024, 14:17:37) [GCC 13.2.0]",
      pytorch_version: "2.8.0+cu128",
      embedded_python: false,
      argv: ["main.py", "--listen", "127.0.0.1", "--port", String(ctx.port)],
    },
    devices: [
      {
        name: "cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync",
        type: "cuda",
        index: 0,
        vram_total: VRAM_TOTAL,
        vram_free: vramFree,
        torch_vram_total: busy ? 16_106_127_360 : 0,
        torch_vram_free: busy ? 1_073_741_824 : 0,
      },
    ],
  });
};

const getObjectInfo: Handler = (_req, _url, params, ctx) => {
  const catalog = ctx.process.catalog();
  const only = params[0] === undefined ? undefined : decodeURIComponent(params[0]);
  const out: Record<string, unknown> = {};
  for (const [name, node] of Object.entries(catalog)) if (only === undefined || only === name) out[name] = objectInfo(name, node);
  return Response.json(out);
};

const MODEL_FOLDERS: Record<string, () => string[]> = {
  checkpoints: () => CHECKPOINTS,
  loras: () => LORAS,
  vae: () => [],
  embeddings: () => [],
};

function upgrade(req: Request, url: URL, server: Server<SocketData>): Response | undefined {
  const sid = url.searchParams.get("clientId") || crypto.randomUUID().replaceAll("-", "");
  if (server.upgrade(req, { data: { sid } })) return undefined;
  return new Response("Expected a WebSocket upgrade", { status: 400 });
}

const routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
  { method: "GET", pattern: /^\/ws$/, handler: (req, url, _p, _ctx, server) => upgrade(req, url, server) },
  {
    method: "GET",
    pattern: /^\/$/,
    handler: () => new Response("<!doctype html><title>ComfyUI</title><p>ComfyUI</p>", { headers: { "Content-Type": "text/html" } }),
  },
  { method: "GET", pattern: /^\/prompt$/, handler: (_r, _u, _p, ctx) => Response.json({ exec_info: { queue_remaining: ctx.process.queue.remaining } }) },
  { method: "POST", pattern: /^\/prompt$/, handler: postPrompt },
  { method: "GET", pattern: /^\/queue$/, handler: (_r, _u, _p, ctx) => Response.json(ctx.process.queue.snapshot()) },
  { method: "POST", pattern: /^\/queue$/, handler: postQueue },
  { method: "POST", pattern: /^\/interrupt$/, handler: postInterrupt },
  { method: "GET", pattern: /^\/history$/, handler: getHistory },
  { method: "GET", pattern: /^\/history\/([^/]+)$/, handler: getHistory },
  { method: "POST", pattern: /^\/history$/, handler: postHistory },
  { method: "GET", pattern: /^\/view$/, handler: getView },
  { method: "POST", pattern: /^\/upload\/image$/, handler: postUpload },
  { method: "GET", pattern: /^\/system_stats$/, handler: getSystemStats },
  { method: "GET", pattern: /^\/object_info$/, handler: getObjectInfo },
  { method: "GET", pattern: /^\/object_info\/([^/]+)$/, handler: getObjectInfo },
  { method: "GET", pattern: /^\/embeddings$/, handler: () => Response.json([]) },
  { method: "GET", pattern: /^\/extensions$/, handler: () => Response.json([]) },
  { method: "GET", pattern: /^\/models$/, handler: () => Response.json(Object.keys(MODEL_FOLDERS)) },
  {
    method: "GET",
    pattern: /^\/models\/([^/]+)$/,
    handler: (_r, _u, params) => {
      const list = MODEL_FOLDERS[params[0] ?? ""];
      return list ? Response.json(list()) : new Response(null, { status: 404 });
    },
  },
  { method: "GET", pattern: /^\/features$/, handler: () => Response.json(SERVER_FEATURES) },
];

/** Upstream serves these only under /api, and only in builds newer than 0.3.64. */
const jobRoutes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
  { method: "GET", pattern: /^\/api\/jobs$/, handler: (_r, url, _p, ctx) => listJobs(url.searchParams, jobSources(ctx)) },
  { method: "POST", pattern: /^\/api\/jobs\/cancel$/, handler: (req, _u, _p, ctx) => cancelJobs(req, ctx) },
  { method: "GET", pattern: /^\/api\/jobs\/([^/]+)$/, handler: (_r, _u, params, ctx) => jobById(decodeURIComponent(params[0] ?? ""), jobSources(ctx)) },
  {
    method: "POST",
    pattern: /^\/api\/jobs\/([^/]+)\/cancel$/,
    // Running: interrupt; pending: dequeue; finished or unknown: a no-op answered { cancelled: false }.
    handler: (_r, _u, params, ctx) => Response.json({ cancelled: ctx.process.cancel(decodeURIComponent(params[0] ?? "")) }),
  },
];

/** Job ids are canonical lowercase UUIDs in builds with the job API. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /api/jobs/cancel {job_ids}: every id checked first, then each running or pending one cancelled. */
async function cancelJobs(req: Request, ctx: RouteContext): Promise<Response> {
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    return Response.json({ error: "Request body must be valid JSON" }, { status: 400 });
  }
  const ids = isObject(body) ? body.job_ids : undefined;
  if (!Array.isArray(ids)) return Response.json({ error: "job_ids must be a list" }, { status: 400 });
  const invalid = ids.filter((id) => typeof id !== "string" || !JOB_ID.test(id)).map((id) => (typeof id === "string" ? id : JSON.stringify(id)));
  if (invalid.length > 0) return Response.json({ error: "job_ids contains invalid id(s)", invalid_ids: invalid }, { status: 400 });
  let cancelled = false;
  for (const id of ids as string[]) if (ctx.process.cancel(id)) cancelled = true;
  return Response.json({ cancelled });
}

function jobSources(ctx: RouteContext): JobSources {
  const { queue_running, queue_pending } = ctx.process.queue.snapshot();
  return { running: queue_running, pending: queue_pending, history: ctx.process.queue.historyOf() };
}

const simRoutes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
  { method: "GET", pattern: /^\/_sim\/runs$/, handler: (_r, _u, _p, ctx) => Response.json({ runs: ctx.controls.runs, submitted: ctx.controls.submitted }) },
  {
    method: "POST",
    pattern: /^\/_sim\/fail-next$/,
    handler: async (req, _u, _p, ctx) => {
      const body = await readJson(req);
      if (!isObject(body) || typeof body.count !== "number") return new Response("expected { count, message?, nodeType? }", { status: 400 });
      ctx.controls.failNext(body.count, {
        message: typeof body.message === "string" ? body.message : undefined,
        nodeType: typeof body.nodeType === "string" ? body.nodeType : undefined,
      });
      return Response.json({ ok: true });
    },
  },
  {
    method: "POST",
    pattern: /^\/_sim\/step-ms$/,
    handler: async (req, _u, _p, ctx) => {
      const body = await readJson(req);
      if (!isObject(body) || typeof body.ms !== "number" || body.ms < 0) return new Response("expected { ms }", { status: 400 });
      ctx.controls.setStepMs(body.ms);
      return Response.json({ ok: true });
    },
  },
  {
    method: "POST",
    pattern: /^\/_sim\/stall$/,
    handler: async (req, _u, _p, ctx) => {
      const body = await readJson(req);
      if (!isObject(body) || typeof body.stalled !== "boolean") return new Response("expected { stalled }", { status: 400 });
      ctx.controls.stallSockets(body.stalled);
      return Response.json({ ok: true });
    },
  },
  {
    method: "POST",
    pattern: /^\/_sim\/preview-metadata$/,
    handler: async (req, _u, _p, ctx) => {
      const body = await readJson(req);
      if (!isObject(body) || typeof body.supported !== "boolean") return new Response("expected { supported }", { status: 400 });
      ctx.controls.setPreviewMetadata(body.supported);
      return Response.json({ ok: true });
    },
  },
  {
    method: "POST",
    pattern: /^\/_sim\/restart$/,
    handler: (_r, _u, _p, ctx) => {
      // Answer first: the restart closes this very listener.
      setTimeout(() => void ctx.controls.restart(), 0);
      return Response.json({ ok: true });
    },
  },
];

export async function route(req: Request, server: Server<SocketData>, ctx: RouteContext): Promise<Response | undefined> {
  const url = new URL(req.url);
  let table = routes;
  let pathname = url.pathname.startsWith("/api/") ? url.pathname.slice(4) : url.pathname;
  if (url.pathname.startsWith("/_sim/")) table = simRoutes;
  else if (ctx.jobsApi && url.pathname.startsWith("/api/jobs")) {
    table = jobRoutes;
    pathname = url.pathname;
  }
  let methodMismatch = false;
  for (const { method, pattern, handler } of table) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
      methodMismatch = true;
      continue;
    }
    return handler(req, url, match.slice(1), ctx, server);
  }
  if (methodMismatch) return new Response("405: Method Not Allowed", { status: 405, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  // 0.3.64 answers an unknown GET (its static-file fallback) with an empty 404, and any other
  // method with a 405 (no POST route matches at all there).
  if (req.method !== "GET" && req.method !== "HEAD" && table === routes) return new Response("405: Method Not Allowed", { status: 405, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return new Response(null, { status: 404 });
}

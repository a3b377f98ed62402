/**
 * An AI Horde (v2) simulator on Bun.serve: `POST /generate/async`, the cheap `GET /generate/check`,
 * `GET /generate/status` with the images (base64 WebP or a download URL, rendered with sharp), and
 * `DELETE /generate/status` to cancel. A queue of simulated workers makes `queue_position` and
 * `wait_time` count down; test controls inject 429s, faulted requests, expiry (404
 * RequestNotFound) and maintenance (503), and record every request for assertions.
 */
import type { Server } from "bun";
import sharp from "sharp";
import { renderPicture } from "../comfyui/render";

export interface HordeSimulatorOptions {
  /** 0 or undefined: a random free port. */
  port?: number;
  host?: string;
  /** How long one image takes on a simulated worker. */
  jobMs?: number;
  /** Simulated workers serving the queue in parallel. */
  workers?: number;
  /** How images come back: base64 WebP in the JSON, or a download URL (the real Horde's r2). */
  imageMode?: "base64" | "url";
  /** A request nobody checked for this long is gone (the real Horde: ~20 minutes). */
  expireMs?: number;
}

export type HordeSimState = "waiting" | "processing" | "done" | "faulted" | "cancelled";

export interface HordeSimRequest {
  id: string;
  prompt: string;
  params: Record<string, unknown>;
  models: string[];
  r2: boolean;
  apikey: string;
  clientAgent: string | null;
  submittedAt: number;
  /** The simulated worker that takes it. */
  worker: number;
  startAt: number;
  finishAt: number;
  willFault: boolean;
  cancelled: boolean;
  expired: boolean;
  lastSeenAt: number;
  checks: number;
  statusCalls: number;
}

export interface HordeSimCall {
  method: string;
  path: string;
  status: number;
  at: number;
}

export type RateLimitedRoute = "submit" | "check" | "status";

export interface HordeSimulator {
  url: string;
  /** Every accepted request, in order. */
  requests: HordeSimRequest[];
  /** Every HTTP call with the status it got. */
  calls: HordeSimCall[];
  /** Ids cancelled with DELETE /generate/status/:id. */
  deleted: string[];
  stateOf(id: string): HordeSimState | undefined;
  /** The next `count` calls of `route` answer 429 TooManyPrompts. */
  rateLimitNext(count: number, route?: RateLimitedRoute): void;
  /** The next `count` submitted requests fault when a worker picks them up. */
  faultNext(count: number): void;
  /** The request expires now: every later call for it is 404 RequestNotFound. */
  expire(id: string): void;
  setJobMs(ms: number): void;
  setImageMode(mode: "base64" | "url"): void;
  setMaintenance(on: boolean): void;
  stop(): Promise<void>;
}

const ANONYMOUS = "0000000000";
const error = (status: number, message: string, rc: string, extra: Record<string, unknown> = {}) =>
  Response.json({ message, rc, ...extra }, { status });

export async function startHordeSimulator(opts: HordeSimulatorOptions = {}): Promise<HordeSimulator> {
  let jobMs = opts.jobMs ?? 300;
  let imageMode = opts.imageMode ?? "base64";
  let maintenance = false;
  const expireMs = opts.expireMs ?? 20 * 60_000;
  const workerFreeAt: number[] = Array.from({ length: Math.max(1, opts.workers ?? 1) }, () => 0);
  const requests: HordeSimRequest[] = [];
  const byId = new Map<string, HordeSimRequest>();
  const calls: HordeSimCall[] = [];
  const deleted: string[] = [];
  const rateLimits: Record<RateLimitedRoute, number> = { submit: 0, check: 0, status: 0 };
  let faults = 0;
  const rendered = new Map<string, Promise<Buffer>>();

  const stateAt = (r: HordeSimRequest, now: number): HordeSimState => {
    if (r.cancelled) return "cancelled";
    if (now < r.startAt) return "waiting";
    if (r.willFault) return "faulted";
    return now < r.finishAt ? "processing" : "done";
  };

  const checkBody = (r: HordeSimRequest, now: number) => {
    const state = stateAt(r, now);
    const ahead = requests.filter((o) => o !== r && !o.cancelled && !o.expired && stateAt(o, now) === "waiting" && o.startAt <= r.startAt).length;
    return {
      finished: state === "done" ? 1 : 0,
      processing: state === "processing" ? 1 : 0,
      restarted: 0,
      waiting: state === "waiting" ? 1 : 0,
      done: state === "done",
      faulted: state === "faulted",
      wait_time: state === "done" || state === "faulted" || state === "cancelled" ? 0 : Math.ceil((r.finishAt - now) / 1000),
      queue_position: state === "waiting" ? ahead + 1 : 0,
      kudos: 10,
      is_possible: !r.models.includes("no-such-model"),
    };
  };

  const picture = (r: HordeSimRequest): Promise<Buffer> => {
    let image = rendered.get(r.id);
    if (!image) {
      const seed = Number(BigInt.asUintN(32, BigInt(Number.parseInt(String(r.params.seed), 10) || 0)));
      image = renderPicture(
        { width: Number(r.params.width) || 512, height: Number(r.params.height) || 512, seed, positive: r.prompt, checkpoint: "horde", loras: [] },
        0,
      ).then((png) => sharp(png).webp({ quality: 80 }).toBuffer());
      rendered.set(r.id, image);
    }
    return image;
  };

  /** A cancelled or expired request gives its worker back: the jobs behind it move up. */
  const release = (r: HordeSimRequest, now: number) => {
    const from = Math.max(now, r.startAt);
    const freed = r.finishAt - from;
    if (freed <= 0) return;
    const end = r.finishAt;
    r.finishAt = from;
    for (const other of requests) {
      if (other !== r && other.worker === r.worker && other.startAt >= end) {
        other.startAt -= freed;
        other.finishAt -= freed;
      }
    }
    workerFreeAt[r.worker] = Math.max(now, workerFreeAt[r.worker]! - freed);
  };

  /** The request a call names, or the 404 the real Horde gives for unknown and expired ones. */
  const find = (id: string, now: number): HordeSimRequest | Response => {
    const r = byId.get(id);
    if (r && !r.expired && now - r.lastSeenAt > expireMs) {
      r.expired = true;
      release(r, now);
    }
    if (!r || r.expired) return error(404, `Request with ID '${id}' not found`, "RequestNotFound");
    r.lastSeenAt = now;
    return r;
  };

  const statusBody = async (r: HordeSimRequest, now: number, origin: string) => {
    const base = checkBody(r, now);
    const generations = [];
    if (base.done) {
      const webp = await picture(r);
      generations.push({
        img: imageMode === "url" ? `${origin}/_sim/images/${r.id}.webp` : webp.toString("base64"),
        seed: String(r.params.seed ?? "0"),
        id: `${r.id}-0`,
        worker_id: "sim-worker-0",
        worker_name: "darkroom simulated worker",
        model: r.models[0] ?? "stable_diffusion",
        censored: false,
        state: "ok",
      });
    }
    return { ...base, generations };
  };

  const handle = async (req: Request, url: URL): Promise<Response> => {
    const now = Date.now();
    const path = url.pathname.replace(/^\/api/, "");
    const image = /^\/_sim\/images\/([^/]+)\.webp$/.exec(path);
    if (image && req.method === "GET") {
      const r = byId.get(image[1]!);
      if (!r) return new Response("not found", { status: 404 });
      return new Response(new Uint8Array(await picture(r)), { headers: { "content-type": "image/webp" } });
    }
    if (maintenance) return error(503, "Horde is in maintenance mode. Please try again later.", "MaintenanceMode");
    const apikey = req.headers.get("apikey");
    if (!apikey) return error(401, "No user matching sent API Key. Have you remembered to register at https://aihorde.net/register ?", "InvalidAPIKey");

    if (req.method === "POST" && path === "/v2/generate/async") {
      if (rateLimits.submit > 0) {
        rateLimits.submit--;
        return error(429, "Parallel requests exceeded user limit. Please try again when your previous requests are finished.", "TooManyPrompts");
      }
      let body: Record<string, unknown>;
      try {
        body = (await req.json()) as Record<string, unknown>;
      } catch {
        return error(400, "Input payload validation failed", "BadRequest", { errors: { payload: "not JSON" } });
      }
      const params = (body.params ?? {}) as Record<string, unknown>;
      const errors: Record<string, string> = {};
      if (typeof body.prompt !== "string" || body.prompt.length < 1) errors.prompt = "'prompt' is a required property";
      if (params.seed !== undefined && typeof params.seed !== "string") errors["params.seed"] = `${JSON.stringify(params.seed)} is not of type 'string'`;
      for (const key of ["width", "height"]) {
        const v = params[key];
        if (v !== undefined && (typeof v !== "number" || v % 64 !== 0)) errors[`params.${key}`] = `${JSON.stringify(v)} is not a multiple of 64`;
      }
      if (Object.keys(errors).length) return error(400, "Input payload validation failed", "BadRequest", { errors });
      const steps = Number(params.steps ?? 30);
      const pixels = Number(params.width ?? 512) * Number(params.height ?? 512);
      if (apikey === ANONYMOUS && (steps > 50 || pixels > 1024 * 1024)) {
        return error(403, "This request requires upfront kudos to fulfil. Please register or lower the steps or size.", "KudosUpfront");
      }
      // The next free simulated worker takes it; until then it waits in the queue.
      const worker = workerFreeAt.indexOf(Math.min(...workerFreeAt));
      const startAt = Math.max(now, workerFreeAt[worker]!);
      const finishAt = startAt + jobMs;
      workerFreeAt[worker] = finishAt;
      const r: HordeSimRequest = {
        id: crypto.randomUUID(),
        prompt: body.prompt as string,
        params,
        models: Array.isArray(body.models) ? (body.models as string[]) : [],
        r2: body.r2 !== false,
        apikey,
        clientAgent: req.headers.get("client-agent"),
        submittedAt: now,
        worker,
        startAt,
        finishAt,
        willFault: faults > 0 ? (faults--, true) : false,
        cancelled: false,
        expired: false,
        lastSeenAt: now,
        checks: 0,
        statusCalls: 0,
      };
      requests.push(r);
      byId.set(r.id, r);
      return Response.json({ id: r.id, kudos: 10 }, { status: 202 });
    }

    const check = /^\/v2\/generate\/check\/([^/]+)$/.exec(path);
    if (check && req.method === "GET") {
      if (rateLimits.check > 0) {
        rateLimits.check--;
        return error(429, "Too many requests, slow down", "TooManyPrompts");
      }
      const r = find(decodeURIComponent(check[1]!), now);
      if (r instanceof Response) return r;
      r.checks++;
      return Response.json(checkBody(r, now));
    }

    const status = /^\/v2\/generate\/status\/([^/]+)$/.exec(path);
    if (status && (req.method === "GET" || req.method === "DELETE")) {
      if (req.method === "GET" && rateLimits.status > 0) {
        rateLimits.status--;
        return error(429, "Too many status requests, slow down", "TooManyPrompts");
      }
      const r = find(decodeURIComponent(status[1]!), now);
      if (r instanceof Response) return r;
      const body = await statusBody(r, now, url.origin);
      if (req.method === "DELETE") {
        release(r, now);
        r.cancelled = true;
        deleted.push(r.id);
      } else {
        r.statusCalls++;
      }
      return Response.json(body);
    }
    return error(404, "Not found", "NotFound");
  };

  const server: Server<undefined> = Bun.serve({
    hostname: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    fetch: async (req) => {
      const url = new URL(req.url);
      const res = await handle(req, url);
      calls.push({ method: req.method, path: url.pathname, status: res.status, at: Date.now() });
      return res;
    },
  });

  return {
    url: `http://${opts.host ?? "127.0.0.1"}:${server.port}/api`,
    requests,
    calls,
    deleted,
    stateOf: (id) => {
      const r = byId.get(id);
      return r ? stateAt(r, Date.now()) : undefined;
    },
    rateLimitNext: (count, route = "submit") => void (rateLimits[route] += count),
    faultNext: (count) => void (faults += count),
    expire: (id) => {
      const r = byId.get(id);
      if (r && !r.expired) {
        r.expired = true;
        release(r, Date.now());
      }
    },
    setJobMs: (ms) => void (jobMs = ms),
    setImageMode: (mode) => void (imageMode = mode),
    setMaintenance: (on) => void (maintenance = on),
    stop: async () => {
      await server.stop(true);
    },
  };
}

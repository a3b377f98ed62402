/**
 * Production client for one ComfyUI instance: HTTP calls with bounded timeouts and retries,
 * plus the instance's single shared websocket (see socket.ts). Use `getComfyClient(instance)`
 * so every job on an instance shares one socket and one clientId.
 */
import type { ComfyInstance } from "../../lib/config";
import { promptRejection } from "./errors";
import { followPrompt, type ComfyPromptEvent, type FollowOptions, type FollowOutcome, type FollowedInstance, type PromptLocation } from "./follow";
import { ComfyHttp, ComfyReply, retryDelayMs, sleep, TransientComfyError, type ComfyHttpOptions } from "./http";
import {
  isRecord,
  readHistoryEntry,
  readQueue,
  type ComfyGraph,
  type ComfyHistoryEntry,
  type ComfyOutputRef,
  type ComfyQueueSnapshot,
  type ComfySystemStats,
} from "./protocol";
import { ComfySocket } from "./socket";

export interface ComfyClientOptions extends ComfyHttpOptions {
  /** How often a followed prompt is checked over HTTP, whatever the socket says. */
  pollIntervalMs?: number;
  /** A running prompt with a socket silent this long gets the socket redialled. */
  socketStallMs?: number;
  /** How long polling may keep failing before a followed prompt's instance counts as gone. */
  unavailableAfterMs?: number;
  /** How long to wait for the history entry after the socket says the prompt is done. */
  historyGraceMs?: number;
}

export type { PromptLocation };

export type CancelOutcome = "interrupted" | "deleted" | "finished" | "missing";

interface CallOptions {
  signal?: AbortSignal;
}

export class ComfyClient implements FollowedInstance {
  readonly name: string;
  readonly url: string;
  /** Fixed for the process: ComfyUI routes a prompt's events to the socket with this id. */
  readonly clientId = crypto.randomUUID();
  readonly socket: ComfySocket;
  readonly pollIntervalMs: number;
  readonly socketStallMs: number;
  readonly unavailableAfterMs: number;
  readonly historyGraceMs: number;
  private readonly http: ComfyHttp;
  /** Whether the instance serves the job API; unknown until first asked. */
  private jobsApi: boolean | undefined;

  constructor(instance: ComfyInstance, opts: ComfyClientOptions = {}) {
    this.name = instance.name;
    this.url = instance.url.replace(/\/+$/, "");
    this.http = new ComfyHttp(this.name, this.url, opts);
    this.pollIntervalMs = opts.pollIntervalMs ?? 1500;
    this.socketStallMs = opts.socketStallMs ?? 60_000;
    this.unavailableAfterMs = opts.unavailableAfterMs ?? 15_000;
    this.historyGraceMs = opts.historyGraceMs ?? 5_000;
    this.socket = new ComfySocket(`${this.url.replace(/^http/, "ws")}/ws`, this.clientId);
  }

  /**
   * Queues a graph. The prompt id is chosen here (a lowercase UUID) so the caller can record it
   * before the request goes out. POST /prompt is not idempotent, so a failure that may have
   * reached the server is checked against /queue and /history before sending again.
   */
  async submit(graph: ComfyGraph, opts: { promptId?: string } & CallOptions = {}): Promise<{ promptId: string; number: number }> {
    const promptId = (opts.promptId ?? crypto.randomUUID()).toLowerCase();
    // Events only reach a socket that is connected when they are sent; polling covers a slow connect.
    await this.socket.ready(1500);
    const attempts = this.http.defaultAttempts;
    let last: TransientComfyError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        await sleep(retryDelayMs(attempt), opts.signal);
        if (last && !last.notSent) {
          const where = await this.locate(promptId, { ...opts, attempts: 1 }).catch(() => undefined);
          if (where && where.state !== "missing") return { promptId, number: "number" in where ? where.number : -1 };
        }
      }
      let res: ComfyReply;
      try {
        res = await this.http.once("/prompt", {
          method: "POST",
          body: { prompt: graph, client_id: this.clientId, prompt_id: promptId },
          acceptStatuses: [400],
          signal: opts.signal,
        });
      } catch (err) {
        if (!(err instanceof TransientComfyError)) throw err;
        last = err;
        continue;
      }
      const body = res.json();
      if (res.status === 400) throw promptRejection(this.name, body);
      const rec = isRecord(body) ? body : {};
      // Builds that predate client-chosen ids pick their own; theirs is the one that counts.
      const queued = { promptId: typeof rec.prompt_id === "string" ? rec.prompt_id : promptId, number: Number(rec.number ?? -1) };
      if (isRecord(rec.node_errors) && Object.keys(rec.node_errors).length > 0) {
        // Accepted with errors: ComfyUI would run only the outputs whose nodes are valid, and the
        // picture could silently be missing. Take it back before it spends a GPU step, and say why.
        await this.cancel(queued.promptId, opts).catch(() => undefined);
        throw promptRejection(this.name, body);
      }
      return queued;
    }
    throw this.http.unavailable(last?.message ?? "no answer", attempts);
  }

  async history(promptId: string, opts: CallOptions & { attempts?: number } = {}): Promise<ComfyHistoryEntry | undefined> {
    const body = await this.http.json(`/history/${encodeURIComponent(promptId)}`, opts);
    return readHistoryEntry(body, promptId);
  }

  async queue(opts: CallOptions & { attempts?: number } = {}): Promise<ComfyQueueSnapshot> {
    return readQueue(await this.http.json("/queue", opts));
  }

  /**
   * Where a prompt is now. Instances that serve ComfyUI's job API (upstream since late 2025) are
   * asked with one `GET /api/jobs/{id}`; older ones answer that route 404 with no JSON, and are then
   * read through /queue and /history for good.
   */
  async locate(promptId: string, opts: CallOptions & { attempts?: number } = {}): Promise<PromptLocation> {
    if (this.jobsApi !== false) {
      const viaJobs = await this.locateByJob(promptId, opts);
      if (viaJobs) {
        // The job route reads the history, then the queue: a prompt finishing in between is seen in
        // neither. A second look finds it in the history, so "missing" is only said once it is sure.
        if (viaJobs.state !== "missing") return viaJobs;
        return (await this.locateByJob(promptId, opts)) ?? this.locateByQueue(promptId, opts);
      }
    }
    return this.locateByQueue(promptId, opts);
  }

  /** Undefined when the instance has no job API (remembered, so it is asked once). */
  private async locateByJob(promptId: string, opts: CallOptions & { attempts?: number }): Promise<PromptLocation | undefined> {
    const reply = await this.http.request(`/api/jobs/${encodeURIComponent(promptId)}`, { ...opts, acceptStatuses: [404] });
    const body = reply.json();
    if (reply.status === 404) {
      // A known job API says which job it lacks; an instance without the route sends no JSON error.
      if (isRecord(body) && typeof body.error === "string") return { state: "missing" };
      this.jobsApi = false;
      return undefined;
    }
    this.jobsApi = true;
    const job = isRecord(body) ? body : {};
    const number = Number(job.priority ?? -1);
    switch (job.status) {
      case "in_progress":
        return { state: "running", number };
      case "pending": {
        // The position needs the queue itself: the job API has no "ahead of me" count.
        const queue = await this.queue(opts);
        const ahead = queue.pending.filter((item) => item.number < number).length;
        return { state: "pending", number, position: queue.running.length + ahead };
      }
      default: {
        const entry = readHistoryEntry({ [promptId]: { outputs: job.outputs, status: job.execution_status } }, promptId);
        return entry ? { state: "finished", entry } : { state: "missing" };
      }
    }
  }

  /**
   * /queue is read before /history: ComfyUI moves a prompt from the running list into history under
   * one lock, so a prompt absent from the earlier /queue read and from the later /history read is
   * truly gone (the instance restarted and lost it).
   */
  private async locateByQueue(promptId: string, opts: CallOptions & { attempts?: number }): Promise<PromptLocation> {
    const queue = await this.queue(opts);
    const running = queue.running.find((item) => item.promptId === promptId);
    if (running) return { state: "running", number: running.number };
    const pending = queue.pending.find((item) => item.promptId === promptId);
    if (pending) {
      const ahead = queue.pending.filter((item) => item.number < pending.number).length;
      return { state: "pending", number: pending.number, position: queue.running.length + ahead };
    }
    const entry = await this.history(promptId, opts);
    return entry ? { state: "finished", entry } : { state: "missing" };
  }

  /** Interrupts the prompt if it is the one running; ComfyUI ignores it otherwise. */
  async interrupt(promptId: string, opts: CallOptions = {}): Promise<void> {
    await this.http.request("/interrupt", { method: "POST", body: { prompt_id: promptId }, signal: opts.signal });
  }

  /** Removes pending prompts; running ones are untouched (use interrupt). */
  async deleteQueued(promptIds: string[], opts: CallOptions = {}): Promise<void> {
    if (promptIds.length === 0) return;
    await this.http.request("/queue", { method: "POST", body: { delete: promptIds }, signal: opts.signal });
  }

  /**
   * Stops a prompt wherever it is: interrupt when running, delete when pending. A pending prompt
   * can start between the check and the delete, so the check repeats after deleting.
   */
  async cancel(promptId: string, opts: CallOptions = {}): Promise<CancelOutcome> {
    for (let round = 0; round < 3; round++) {
      const where = await this.locate(promptId, opts);
      switch (where.state) {
        case "running":
          await this.interrupt(promptId, opts);
          return "interrupted";
        case "pending": {
          await this.deleteQueued([promptId], opts);
          const after = await this.locate(promptId, opts);
          if (after.state === "missing") return "deleted";
          if (after.state === "finished") return "finished";
          continue;
        }
        case "finished":
          return "finished";
        case "missing":
          return "missing";
      }
    }
    await this.interrupt(promptId, opts);
    return "interrupted";
  }

  async systemStats(opts: CallOptions & { timeoutMs?: number; attempts?: number } = {}): Promise<ComfySystemStats> {
    const body = await this.http.json("/system_stats", opts);
    const rec = isRecord(body) ? body : {};
    return {
      system: isRecord(rec.system) ? rec.system : undefined,
      devices: Array.isArray(rec.devices) ? (rec.devices.filter(isRecord) as ComfySystemStats["devices"]) : [],
    };
  }

  /** The bytes of one produced image. */
  async view(ref: ComfyOutputRef, opts: CallOptions = {}): Promise<Uint8Array> {
    return readOutput(this.http, ref, opts.signal);
  }

  /**
   * Watches a submitted prompt until it finishes (resolves with its outputs), is lost by the
   * instance (resolves `lost`: resubmitting is the caller's call), fails (ComfyExecutionFailed)
   * or the instance stays unreachable (ComfyInstanceUnavailable).
   */
  follow(promptId: string, onEvent: (event: ComfyPromptEvent) => void, opts: FollowOptions = {}): Promise<FollowOutcome> {
    return followPrompt(this, promptId, onEvent, opts);
  }

  close(): void {
    this.socket.close();
    for (const [key, client] of registry) if (client === this) registry.delete(key);
  }
}

export async function readOutput(http: ComfyHttp, ref: ComfyOutputRef, signal?: AbortSignal): Promise<Uint8Array> {
  const query = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
  return (await http.request(`/view?${query}`, { timeoutMs: 60_000, signal })).bytes;
}

const registry = new Map<string, ComfyClient>();

/** The process-wide client (and so the one websocket) for an instance; `opts` apply only when it is first created. */
export function getComfyClient(instance: ComfyInstance, opts?: ComfyClientOptions): ComfyClient {
  const key = `${instance.name}|${instance.url}`;
  let client = registry.get(key);
  if (!client) {
    client = new ComfyClient(instance, opts);
    registry.set(key, client);
  }
  return client;
}

export function closeComfyClients(): void {
  for (const client of [...registry.values()]) client.close();
}

export type { ComfyPromptEvent, FollowOutcome } from "./follow";

/**
 * The job API that upstream ComfyUI added after 0.3.64 (comfy_execution/jobs.py and its routes):
 * one list and one lookup over the queue and the history (the cancels live with the routes). Served
 * only when an instance is configured for it; 0.3.64 answers 404 to the reads and 405 to the cancels.
 */
import type { HistoryEntry, QueueItem } from "./types";

type JobStatus = "pending" | "in_progress" | "completed" | "failed" | "cancelled";
const JOB_STATUSES: JobStatus[] = ["pending", "in_progress", "completed", "failed", "cancelled"];

type Job = Record<string, unknown> & { id: string; status: JobStatus };

/** comfy_api's prune_dict: a job leaves out every field it has no value for. */
function prune(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== null));
}

function metadata(extraData: Record<string, unknown>): { createTime: unknown; workflowId: unknown } {
  const pngInfo = extraData.extra_pnginfo as { workflow?: { id?: unknown } } | undefined;
  return { createTime: extraData.create_time, workflowId: pngInfo?.workflow?.id };
}

function fromQueue(item: QueueItem, status: JobStatus, withWorkflow: boolean): Job {
  const [priority, id, prompt, extraData] = item;
  const { createTime, workflowId } = metadata(extraData);
  const job = prune({ id, status, priority, create_time: createTime, outputs_count: 0, previewable_outputs_count: 0, workflow_id: workflowId }) as Job;
  if (withWorkflow) job.workflow = { prompt, extra_data: extraData };
  return job;
}

const PREVIEWABLE = new Set(["images", "video", "audio", "3d", "text"]);

/** get_outputs_summary: files count as outputs; text is only a preview fallback, never counted. */
function summary(outputs: HistoryEntry["outputs"]): { count: number; previewable: number; preview?: Record<string, unknown> } {
  let count = 0;
  let previewable = 0;
  let preview: Record<string, unknown> | undefined;
  let fallback: Record<string, unknown> | undefined;
  let textFallback: Record<string, unknown> | undefined;
  for (const [nodeId, ui] of Object.entries(outputs)) {
    for (const [mediaType, items] of Object.entries(ui as Record<string, unknown>)) {
      if (mediaType === "animated" || !Array.isArray(items)) continue;
      for (const item of items) {
        if (typeof item !== "object" || item === null) {
          if (mediaType === "text") textFallback ??= { content: String(item).slice(0, 1024), ...(String(item).length > 1024 ? { truncated: true } : {}), nodeId, mediaType };
          continue;
        }
        count++;
        if (!PREVIEWABLE.has(mediaType)) continue;
        previewable++;
        const enriched = { ...(item as Record<string, unknown>), nodeId, mediaType };
        if ((item as { type?: unknown }).type === "output") preview ??= enriched;
        else fallback ??= enriched;
      }
    }
  }
  return { count, previewable, preview: preview ?? fallback ?? textFallback };
}

function fromHistory(id: string, entry: HistoryEntry, withOutputs: boolean): Job {
  const [priority, , prompt, extraData] = entry.prompt;
  const { createTime, workflowId } = metadata(extraData);
  let startTime: unknown;
  let endTime: unknown;
  let executionError: unknown;
  let interrupted = false;
  for (const [event, data] of entry.status.messages) {
    if (event === "execution_start") startTime = data.timestamp;
    if (event === "execution_success" || event === "execution_error" || event === "execution_interrupted") endTime = data.timestamp;
    if (event === "execution_error") executionError = data;
    if (event === "execution_interrupted") interrupted = true;
  }
  const status: JobStatus = entry.status.status_str === "error" ? (interrupted ? "cancelled" : "failed") : "completed";
  const { count, previewable, preview } = summary(entry.outputs);
  const job = prune({
    id,
    status,
    priority,
    create_time: createTime,
    execution_start_time: startTime,
    execution_end_time: endTime,
    execution_error: executionError,
    outputs_count: count,
    previewable_outputs_count: previewable,
    preview_output: preview,
    workflow_id: workflowId,
  }) as Job;
  if (withOutputs) {
    job.outputs = entry.outputs;
    job.execution_status = entry.status;
    job.workflow = { prompt, extra_data: extraData };
  }
  return job;
}

export interface JobSources {
  running: QueueItem[];
  pending: QueueItem[];
  history: Record<string, HistoryEntry>;
}

/** GET /api/jobs/{id}: history first, then running, then pending; 404 when the id is nowhere. */
export function jobById(id: string, sources: JobSources): Response {
  const entry = sources.history[id];
  if (entry) return Response.json(fromHistory(id, entry, true));
  const running = sources.running.find((item) => item[1] === id);
  if (running) return Response.json(fromQueue(running, "in_progress", true));
  const pending = sources.pending.find((item) => item[1] === id);
  if (pending) return Response.json(fromQueue(pending, "pending", true));
  return Response.json({ error: "Job not found" }, { status: 404 });
}

const badRequest = (error: string) => Response.json({ error }, { status: 400 });

/** GET /api/jobs: status / workflow_id filters, created_at or execution_duration sorting, limit and offset. */
export function listJobs(query: URLSearchParams, sources: JobSources): Response {
  const statusParam = query.get("status");
  let statuses = JOB_STATUSES;
  if (statusParam) {
    const wanted = statusParam.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
    const invalid = wanted.filter((s) => !JOB_STATUSES.includes(s as JobStatus));
    if (invalid.length > 0) return badRequest(`Invalid status value(s): ${invalid.join(", ")}. Valid values: ${JOB_STATUSES.join(", ")}`);
    statuses = wanted as JobStatus[];
  }
  const sortBy = (query.get("sort_by") ?? "created_at").toLowerCase();
  if (sortBy !== "created_at" && sortBy !== "execution_duration") return badRequest("sort_by must be 'created_at' or 'execution_duration'");
  const sortOrder = (query.get("sort_order") ?? "desc").toLowerCase();
  if (sortOrder !== "asc" && sortOrder !== "desc") return badRequest("sort_order must be 'asc' or 'desc'");
  let limit: number | null = null;
  if (query.has("limit")) {
    if (!/^\s*[+-]?\d+\s*$/.test(query.get("limit") ?? "")) return badRequest("limit must be an integer");
    limit = Number(query.get("limit"));
    if (limit <= 0) return badRequest("limit must be a positive integer");
  }
  let offset = 0;
  if (query.has("offset")) {
    if (!/^\s*[+-]?\d+\s*$/.test(query.get("offset") ?? "")) return badRequest("offset must be an integer");
    offset = Math.max(0, Number(query.get("offset")));
  }

  let jobs: Job[] = [];
  if (statuses.includes("in_progress")) for (const item of sources.running) jobs.push(fromQueue(item, "in_progress", false));
  if (statuses.includes("pending")) for (const item of sources.pending) jobs.push(fromQueue(item, "pending", false));
  for (const [id, entry] of Object.entries(sources.history)) {
    const job = fromHistory(id, entry, false);
    if (statuses.includes(job.status)) jobs.push(job);
  }
  const workflowId = query.get("workflow_id");
  if (workflowId) jobs = jobs.filter((job) => job.workflow_id === workflowId);
  const key = (job: Job): number => {
    if (sortBy === "execution_duration") {
      const start = Number(job.execution_start_time ?? 0);
      const end = Number(job.execution_end_time ?? 0);
      return start && end ? end - start : 0;
    }
    return Number(job.create_time ?? 0);
  };
  // Python's sorted() is stable for either direction, and so is Array.prototype.sort.
  jobs = jobs.map((job, index) => ({ job, index })).sort((a, b) => (sortOrder === "desc" ? key(b.job) - key(a.job) : key(a.job) - key(b.job)) || a.index - b.index).map(({ job }) => job);
  const total = jobs.length;
  const page = jobs.slice(offset, limit === null ? undefined : offset + limit);
  return Response.json({ jobs: page, pagination: { offset, limit, total, has_more: offset + page.length < total } });
}

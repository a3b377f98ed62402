/**
 * ComfyUI's wire formats (server.py / execution.py), as far as darkroom reads them.
 * Everything coming off the wire is treated as untrusted and narrowed by the readers below.
 */

/** One node of an API-format graph. Inputs are literals or links: `[sourceNodeId, outputIndex]`. */
export interface ComfyNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}

/** An API-format graph ("Save (API Format)" in the ComfyUI editor): node id → node. */
export type ComfyGraph = Record<string, ComfyNode>;

/** Where a produced file lives on the instance; pass it to `/view` to fetch the bytes. */
export interface ComfyOutputRef {
  filename: string;
  subfolder: string;
  type: string;
}

/** `[event, data]` pairs recorded in a history entry's status. */
export type ComfyStatusMessage = [string, Record<string, unknown>];

export interface ComfyHistoryEntry {
  outputs: Record<string, { images?: ComfyOutputRef[] } & Record<string, unknown>>;
  status?: { status_str?: string; completed?: boolean; messages?: ComfyStatusMessage[] };
}

export interface ComfyQueueItem {
  number: number;
  promptId: string;
}

export interface ComfyQueueSnapshot {
  running: ComfyQueueItem[];
  pending: ComfyQueueItem[];
}

export interface ComfySystemStats {
  system?: Record<string, unknown>;
  devices: Array<{ name: string; vram_total?: number; vram_free?: number } & Record<string, unknown>>;
}

/** One validation problem from a 400 answer to `POST /prompt`. */
export interface ComfyValidationError {
  type: string;
  message: string;
  details?: string;
  extra_info?: Record<string, unknown>;
}

/** A JSON frame from `/ws`. Binary frames (previews) are dropped before this point. */
export type ComfyWsMessage =
  | { type: "status"; data: { status?: { exec_info?: { queue_remaining?: number } }; sid?: string } }
  | { type: "execution_start"; data: { prompt_id: string } }
  | { type: "execution_cached"; data: { prompt_id: string; nodes?: string[] } }
  | { type: "executing"; data: { node: string | null; prompt_id?: string } }
  | { type: "progress"; data: { value: number; max: number; prompt_id?: string; node?: string | null } }
  | { type: "executed"; data: { node: string; output?: { images?: ComfyOutputRef[] }; prompt_id: string } }
  | { type: "execution_success"; data: { prompt_id: string } }
  | { type: "execution_error"; data: ComfyExecutionErrorData }
  | { type: "execution_interrupted"; data: { prompt_id: string; node_id?: string; node_type?: string } };

export interface ComfyExecutionErrorData {
  prompt_id: string;
  node_id?: string;
  node_type?: string;
  exception_message?: string;
  exception_type?: string;
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readOutputRefs(value: unknown): ComfyOutputRef[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((img) =>
    typeof img.filename === "string"
      ? [{ filename: img.filename, subfolder: typeof img.subfolder === "string" ? img.subfolder : "", type: typeof img.type === "string" ? img.type : "output" }]
      : [],
  );
}

/** `GET /queue` items are tuples `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export function readQueue(body: unknown): ComfyQueueSnapshot {
  const items = (v: unknown): ComfyQueueItem[] =>
    Array.isArray(v)
      ? v.flatMap((item) =>
          Array.isArray(item) && typeof item[1] === "string" ? [{ number: Number(item[0]), promptId: item[1] }] : [],
        )
      : [];
  const rec = isRecord(body) ? body : {};
  return { running: items(rec.queue_running), pending: items(rec.queue_pending) };
}

/** `GET /history/:id` answers `{}` until the prompt has finished, then `{ [id]: entry }`. */
export function readHistoryEntry(body: unknown, promptId: string): ComfyHistoryEntry | undefined {
  if (!isRecord(body)) return undefined;
  const entry = body[promptId];
  if (!isRecord(entry)) return undefined;
  return {
    outputs: isRecord(entry.outputs) ? (entry.outputs as ComfyHistoryEntry["outputs"]) : {},
    status: isRecord(entry.status) ? (entry.status as ComfyHistoryEntry["status"]) : undefined,
  };
}

export function readWsMessage(raw: unknown): ComfyWsMessage | undefined {
  // Binary frames carry previews (4-byte big-endian event type, then an image); darkroom never needs them.
  if (typeof raw !== "string") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.type !== "string" || !isRecord(parsed.data)) return undefined;
  return parsed as unknown as ComfyWsMessage;
}

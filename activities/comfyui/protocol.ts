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

/**
 * A frame from `/ws`: ComfyUI's JSON messages, and `preview` for a binary preview frame once the
 * socket has decoded it and named its prompt (see ComfySocket).
 */
export type ComfyWsMessage =
  | { type: "preview"; data: ComfyPreviewImage & { prompt_id?: string } }
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

/** server.py's BinaryEventTypes that carry a picture. */
export const PREVIEW_IMAGE = 1;
export const PREVIEW_IMAGE_WITH_METADATA = 4;

/** A decoded binary preview frame: the picture and whatever the frame said about it. */
export interface ComfyPreviewImage {
  /** 1 (PREVIEW_IMAGE, no metadata) or 4 (PREVIEW_IMAGE_WITH_METADATA). */
  event: 1 | 4;
  mime: "image/jpeg" | "image/png";
  image: Uint8Array;
  /** Event 4 only: the prompt and node that drew it. */
  prompt_id?: string;
  node?: string;
}

/** A metadata block larger than this is not a preview's; the frame is dropped rather than trusted. */
const MAX_PREVIEW_METADATA = 64 * 1024;

/**
 * A binary `/ws` frame: a 4-byte big-endian event number, then for event 1 a 4-byte image type
 * (1 JPEG, 2 PNG) and the image, for event 4 a 4-byte metadata length, that much JSON
 * (`{node_id, prompt_id, display_node_id, parent_node_id, real_node_id, image_type}`) and the
 * image. Anything else (other events, short or malformed frames) is undefined.
 */
export function readPreviewFrame(raw: ArrayBuffer | ArrayBufferView): ComfyPreviewImage | undefined {
  const bytes = raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.byteLength < 8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const event = view.getUint32(0);
  const word = view.getUint32(4);
  if (event === PREVIEW_IMAGE) {
    const mime = word === 1 ? "image/jpeg" : word === 2 ? "image/png" : undefined;
    const image = bytes.subarray(8);
    return mime && image.byteLength > 0 ? { event: PREVIEW_IMAGE, mime, image } : undefined;
  }
  if (event !== PREVIEW_IMAGE_WITH_METADATA || word > MAX_PREVIEW_METADATA || 8 + word >= bytes.byteLength) return undefined;
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + word)));
  } catch {
    return undefined;
  }
  if (!isRecord(metadata)) return undefined;
  // upstream writes image_type as a MIME type; PIL's format names are taken too.
  const type = String(metadata.image_type ?? "image/jpeg").toLowerCase();
  const mime = type === "image/png" || type === "png" ? "image/png" : type === "image/jpeg" || type === "jpeg" || type === "jpg" ? "image/jpeg" : undefined;
  if (!mime) return undefined;
  const node = metadata.display_node_id ?? metadata.node_id;
  return {
    event: PREVIEW_IMAGE_WITH_METADATA,
    mime,
    image: bytes.subarray(8 + word),
    ...(typeof metadata.prompt_id === "string" ? { prompt_id: metadata.prompt_id } : {}),
    ...(typeof node === "string" ? { node } : {}),
  };
}

export function readWsMessage(raw: unknown): ComfyWsMessage | undefined {
  // Binary frames (previews) are read by readPreviewFrame.
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

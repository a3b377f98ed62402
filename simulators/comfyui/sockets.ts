/**
 * The `/ws` side of one simulated ComfyUI: sockets keyed by sid (the clientId), JSON and binary
 * frames addressed like server.py's send_json/send_bytes (a sid sends to that socket, none broadcasts).
 */
import type { ServerWebSocket } from "bun";

export interface SocketData {
  sid: string;
}

/** server.py's BinaryEventTypes: PREVIEW_IMAGE (1) and PREVIEW_IMAGE_WITH_METADATA (4), and the image format word. */
const PREVIEW_IMAGE = 1;
const PREVIEW_IMAGE_WITH_METADATA = 4;
const PREVIEW_FORMAT_JPEG = 1;

/** comfy_api/feature_flags.py's SERVER_FEATURE_FLAGS with the default --max-upload-size of 100 MB. */
export const SERVER_FEATURES = { supports_preview_metadata: true, max_upload_size: 104_857_600 };

/** Python's json.dumps spacing (", " and ": "), so the metadata's length matches upstream's byte for byte. */
function pythonJson(value: Record<string, unknown>): string {
  return `{${Object.entries(value)
    .map(([key, v]) => `${JSON.stringify(key)}: ${JSON.stringify(v)}`)
    .join(", ")}}`;
}

export class SocketHub {
  private readonly sockets = new Map<string, ServerWebSocket<SocketData>>();
  /** server.py's sockets_metadata: what each sid's client said in its feature_flags message. */
  private readonly flags = new Map<string, Record<string, unknown>>();
  private readonly firstMessageSeen = new WeakSet<ServerWebSocket<SocketData>>();
  /** Every open connection, including an old one whose sid a reconnect has taken over. */
  private readonly open = new Set<ServerWebSocket<SocketData>>();

  constructor(
    private readonly isStalled: () => boolean,
    /** false: a build from before feature flags, which reads no client message at all. */
    private readonly knowsFeatureFlags: () => boolean = () => true,
  ) {}

  /** A reconnect with the same clientId replaces the old socket, as in ComfyUI's `self.sockets[sid] = ws`. */
  add(ws: ServerWebSocket<SocketData>): void {
    this.open.add(ws);
    this.sockets.set(ws.data.sid, ws);
    this.flags.set(ws.data.sid, {});
  }

  /**
   * server.py pops the sid when *any* socket with that sid closes, so a client that reconnects with
   * the same clientId before its old socket has closed gets nothing once the old one goes.
   */
  remove(ws: ServerWebSocket<SocketData>): void {
    this.open.delete(ws);
    this.sockets.delete(ws.data.sid);
    this.flags.delete(ws.data.sid);
  }

  /** Only a socket's first message counts, and only when it is a feature_flags message; it is answered with the server's. */
  received(ws: ServerWebSocket<SocketData>, raw: string | Buffer): void {
    if (typeof raw !== "string" || this.firstMessageSeen.has(ws) || !this.knowsFeatureFlags()) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      // Upstream logs and keeps waiting for a first message it can read.
      return;
    }
    this.firstMessageSeen.add(ws);
    if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== "feature_flags") return;
    const data = (message as { data?: unknown }).data;
    this.flags.set(ws.data.sid, typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {});
    this.json("feature_flags", SERVER_FEATURES, ws.data.sid);
  }

  /** feature_flags.supports_feature: true only when that sid's client sent exactly `true`. */
  supports(sid: string | undefined, feature: string): boolean {
    return sid !== undefined && this.knowsFeatureFlags() && this.flags.get(sid)?.[feature] === true;
  }

  json(type: string, data: unknown, sid?: string | null): void {
    this.deliver(JSON.stringify({ type, data }), sid);
  }

  /** Event 1: the image format word, then the JPEG. */
  preview(jpeg: Buffer, sid?: string | null): void {
    const frame = Buffer.alloc(8 + jpeg.length);
    frame.writeUInt32BE(PREVIEW_IMAGE, 0);
    frame.writeUInt32BE(PREVIEW_FORMAT_JPEG, 4);
    jpeg.copy(frame, 8);
    this.deliver(frame, sid);
  }

  /** Event 4 (send_image_with_metadata): a 4-byte metadata length, the metadata JSON with image_type added, then the JPEG. */
  previewWithMetadata(jpeg: Buffer, metadata: Record<string, unknown>, sid?: string | null): void {
    const json = Buffer.from(pythonJson({ ...metadata, image_type: "image/jpeg" }), "utf8");
    const frame = Buffer.alloc(8 + json.length + jpeg.length);
    frame.writeUInt32BE(PREVIEW_IMAGE_WITH_METADATA, 0);
    frame.writeUInt32BE(json.length, 4);
    json.copy(frame, 8);
    jpeg.copy(frame, 8 + json.length);
    this.deliver(frame, sid);
  }

  /** The process died: connections drop without a close handshake. */
  dropAll(): void {
    for (const ws of this.open) ws.terminate();
    this.open.clear();
    this.sockets.clear();
    this.flags.clear();
  }

  private deliver(frame: string | Buffer, sid?: string | null): void {
    if (this.isStalled()) return;
    if (sid === undefined || sid === null) {
      for (const ws of this.sockets.values()) ws.send(frame);
      return;
    }
    this.sockets.get(sid)?.send(frame);
  }
}

/**
 * The `/ws` side of one simulated ComfyUI: sockets keyed by sid (the clientId), JSON and binary
 * frames addressed like server.py's send_json/send_bytes (a sid sends to that socket, none broadcasts).
 */
import type { ServerWebSocket } from "bun";

export interface SocketData {
  sid: string;
}

/** server.py's BinaryEventTypes.PREVIEW_IMAGE, and the image format word that follows it. */
const PREVIEW_IMAGE = 1;
const PREVIEW_FORMAT_JPEG = 1;

export class SocketHub {
  private readonly sockets = new Map<string, ServerWebSocket<SocketData>>();

  constructor(private readonly isStalled: () => boolean) {}

  /** A reconnect with the same clientId replaces the old socket, as in ComfyUI's `self.sockets[sid] = ws`. */
  add(ws: ServerWebSocket<SocketData>): void {
    this.sockets.set(ws.data.sid, ws);
  }

  remove(ws: ServerWebSocket<SocketData>): void {
    if (this.sockets.get(ws.data.sid) === ws) this.sockets.delete(ws.data.sid);
  }

  json(type: string, data: unknown, sid?: string | null): void {
    this.deliver(JSON.stringify({ type, data }), sid);
  }

  preview(jpeg: Buffer, sid?: string | null): void {
    const frame = Buffer.alloc(8 + jpeg.length);
    frame.writeUInt32BE(PREVIEW_IMAGE, 0);
    frame.writeUInt32BE(PREVIEW_FORMAT_JPEG, 4);
    jpeg.copy(frame, 8);
    this.deliver(frame, sid);
  }

  /** The process died: connections drop without a close handshake. */
  dropAll(): void {
    for (const ws of this.sockets.values()) ws.terminate();
    this.sockets.clear();
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

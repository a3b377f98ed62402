/**
 * Reading the recorded ComfyUI 0.3.64 fixtures and recording the simulator the same way, so a
 * conformance test can compare the two: a socket that keeps every frame (binary ones as their
 * headers), and a normaliser that replaces ids, timestamps, queue numbers and file counters with
 * placeholders on both sides.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startComfySimulator, type ComfySimulator, type ComfySimulatorOptions, type SimInstance } from "../../simulators/comfyui";

export const FIXTURE_DIR = path.join(import.meta.dir, "..", "fixtures", "comfyui-0.3.64");

// biome-ignore lint/suspicious/noExplicitAny: fixtures are JSON read for comparison, shaped per scenario.
export type Json = any;

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), "utf8"));
}

/** A binary frame's header as the fixtures keep it: event 1 (image type, then image) or event 4 (metadata, then image). */
export interface BinaryHeader {
  event: number;
  image_type?: number;
  image_magic?: string;
  metadata_length?: number;
  metadata_starts_with?: string;
  metadata?: Record<string, unknown>;
}

export type Frame = { type: string; data: Json } | { binary: BinaryHeader };

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

export function readBinaryHeader(frame: Uint8Array): BinaryHeader {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const event = view.getUint32(0);
  if (event === 4) {
    const length = view.getUint32(4);
    const metadata = JSON.parse(Buffer.from(frame.subarray(8, 8 + length)).toString("utf8")) as Record<string, unknown>;
    return {
      event,
      metadata_length: length,
      metadata_starts_with: Buffer.from(frame.subarray(8, 12)).toString("utf8"),
      metadata,
      image_magic: hex(frame.subarray(8 + length, 12 + length)),
    };
  }
  return { event, image_type: view.getUint32(4), image_magic: hex(frame.subarray(8, 12)) };
}

export const isBinary = (frame: Frame): frame is { binary: BinaryHeader } => "binary" in frame;
export const isJson = (frame: Frame): frame is { type: string; data: Json } => !isBinary(frame);

/** A `/ws` client that records everything, optionally opening with the feature_flags handshake. */
export class RecordingSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (message) => {
      this.frames.push(
        typeof message.data === "string" ? (JSON.parse(message.data) as Frame) : { binary: readBinaryHeader(new Uint8Array(message.data as ArrayBuffer)) },
      );
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", () => resolve());
    });
  }

  static async open(baseUrl: string, clientId?: string, opts: { featureFlags?: boolean } = {}): Promise<RecordingSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws${clientId ? `?clientId=${encodeURIComponent(clientId)}` : ""}`);
    const socket = new RecordingSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket failed to open"));
    });
    // The handshake only counts as the socket's first message, as the frontend sends it.
    if (opts.featureFlags) ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
    await socket.waitFor((f) => isJson(f) && f.type === "status");
    if (opts.featureFlags) await socket.waitFor((f) => isJson(f) && f.type === "feature_flags");
    return socket;
  }

  json(): Array<{ type: string; data: Json }> {
    return this.frames.filter(isJson);
  }

  async waitFor(predicate: (frame: Frame) => boolean): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The real end of a prompt: `executing` with node null and that prompt's id. */
  finished(promptId: string): Promise<Frame> {
    return this.waitFor((f) => isJson(f) && f.type === "executing" && f.data.node === null && f.data.prompt_id === promptId);
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Replaces run-specific values with placeholders: known ids (as values, keys or inside strings),
 * `timestamp` numbers, and the counter in saved file names (`probe_00003_.png`).
 */
export function normalise(value: Json, names: Record<string, string>): Json {
  const text = (s: string): string => {
    if (names[s] !== undefined) return names[s] as string;
    let out = s;
    for (const [real, placeholder] of Object.entries(names)) if (real.length > 8 && out.includes(real)) out = out.replaceAll(real, placeholder);
    return out.replace(/_\d{5}_\.png$/, "_<counter>_.png");
  };
  if (Array.isArray(value)) return value.map((v) => normalise(v, names));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [text(key), key === "timestamp" && typeof v === "number" ? "<timestamp>" : normalise(v, names)]),
    );
  }
  return typeof value === "string" ? text(value) : value;
}

/** Fixture messages without their arrival offsets and byte counts, which no two runs share. */
export function recorded(messages: Json[]): Frame[] {
  return messages.map((m) => {
    if ("binary" in m) {
      const { bytes: _bytes, ...header } = m.binary;
      return { binary: header };
    }
    const { at_ms: _at, ...frame } = m;
    return frame as Frame;
  });
}

/**
 * Binary headers compared on what the recordings kept: event, then the image type and the JPEG's
 * first bytes (event 1) or the metadata's length and first bytes (event 4).
 */
export function comparable(frames: Frame[]): Frame[] {
  return frames.map((f) => {
    if (!isBinary(f)) return f;
    const { metadata: _metadata, image_magic, ...rest } = f.binary;
    if (f.binary.event === 4) return { binary: rest };
    // A JPEG starts ffd8ff; the fourth byte depends on the encoder's first segment.
    return { binary: { ...rest, image_magic: image_magic?.slice(0, 6) } };
  });
}

/** queue_remaining of each status frame, in order. */
export function queueRemaining(frames: Frame[]): number[] {
  return frames.filter(isJson).filter((f) => f.type === "status").map((f) => f.data.status.exec_info.queue_remaining as number);
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

/**
 * A fresh simulated instance per scenario: nothing queued, nothing cached, counters at zero, as
 * each recording began. Every instance made this way is stopped (and its folder removed) by
 * `stopFreshComfies`, which a test file calls after each test.
 */
const freshlyStarted: Array<{ simulator: ComfySimulator; dir: string }> = [];

export async function freshComfy(opts: Partial<ComfySimulatorOptions> = {}): Promise<SimInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "darkroom-comfy-"));
  const simulator = await startComfySimulator({ instances: 1, stepMs: 5, outputDir: dir, ...opts });
  freshlyStarted.push({ simulator, dir });
  return simulator.instances[0] as SimInstance;
}

export async function stopFreshComfies(): Promise<void> {
  for (const { simulator, dir } of freshlyStarted.splice(0)) {
    await simulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The one `/ws` connection per ComfyUI instance per process.
 *
 * ComfyUI sends execution events only to the socket whose clientId submitted the prompt, so the
 * clientId is fixed for the life of the process and reconnects reuse it (ComfyUI rebinds the sid).
 * The socket is only a fast path: it can stall silently or drop, so callers also poll over HTTP.
 *
 * Every connection opens with the feature_flags handshake, so builds that know it send previews as
 * event 4 frames that name their prompt; older builds ignore it and send event 1 frames, which name
 * nothing and are credited to the prompt this socket last heard executing.
 */
import { WebSocket as NodeWebSocket } from "ws";
import { readPreviewFrame, readWsMessage, type ComfyWsMessage } from "./protocol";

// Bun and Node >= 22 ship a WHATWG WebSocket; Node 20 does not, and `ws` offers the same API there.
const WebSocketImpl: typeof WebSocket = globalThis.WebSocket ?? (NodeWebSocket as unknown as typeof WebSocket);

export type ComfyWsListener = (message: ComfyWsMessage) => void;

const BACKOFF_MS = [250, 500, 1000, 2000, 5000];
/** The client's half of the feature_flags handshake: previews with metadata (event 4), please. */
const FEATURE_FLAGS = JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } });
/** With nobody listening, keep the connection this long in case another job starts. */
const IDLE_CLOSE_MS = 30_000;

export class ComfySocket {
  private ws: WebSocket | undefined;
  private readonly listeners = new Set<ComfyWsListener>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private closed = false;
  private openWaiters: Array<(opened: boolean) => void> = [];
  /** When the last frame (of any kind) arrived; a long silence while a prompt runs hints at a stalled socket. */
  lastMessageAt = 0;
  /**
   * The prompt this connection last heard executing (`execution_start`, `executing`, `progress`),
   * until `executing {node: null}` ends it: what an event 1 preview, which names no prompt, belongs to.
   */
  private executing: string | undefined;

  constructor(
    private readonly wsUrl: string,
    private readonly clientId: string,
  ) {}

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocketImpl.OPEN;
  }

  subscribe(listener: ComfyWsListener): () => void {
    this.listeners.add(listener);
    this.cancelIdleClose();
    this.ensureConnected();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.scheduleIdleClose();
    };
  }

  /** Connects if needed and waits (bounded) for the socket to open; false if it did not in time. */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    this.ensureConnected();
    if (this.isOpen) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let waiter: ((opened: boolean) => void) | undefined;
    const opened = await Promise.race([
      new Promise<boolean>((resolve) => {
        waiter = resolve;
        this.openWaiters.push(resolve);
      }),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    this.openWaiters = this.openWaiters.filter((w) => w !== waiter);
    if (this.listeners.size === 0) this.scheduleIdleClose();
    return opened;
  }

  /** Drops the current connection and dials again (used when the socket looks stalled). */
  reconnect(): void {
    if (this.closed) return;
    const old = this.ws;
    this.ws = undefined;
    if (old) this.detach(old);
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.cancelIdleClose();
    const old = this.ws;
    this.ws = undefined;
    if (old) this.detach(old);
    this.listeners.clear();
    for (const w of this.openWaiters.splice(0)) w(false);
  }

  private ensureConnected(): void {
    if (this.closed || this.ws || this.reconnectTimer) return;
    this.connect();
  }

  private connect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    let ws: WebSocket;
    try {
      ws = new WebSocketImpl(`${this.wsUrl}?clientId=${encodeURIComponent(this.clientId)}`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      this.failures = 0;
      this.lastMessageAt = Date.now();
      this.executing = undefined;
      // Upstream reads only a connection's first message for this; it answers with its own flags.
      try {
        ws.send(FEATURE_FLAGS);
      } catch {
        // Closing already; onclose reconnects.
      }
      for (const w of this.openWaiters.splice(0)) w(true);
    };
    ws.onmessage = (event) => {
      this.lastMessageAt = Date.now();
      const message = this.read(event.data);
      if (!message) return;
      for (const listener of [...this.listeners]) {
        try {
          listener(message);
        } catch {
          // A listener's bug must not take the shared socket down for every other job.
        }
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      this.failures++;
      // Whoever waits for the connection learns now that it failed rather than at their timeout.
      for (const w of this.openWaiters.splice(0)) w(false);
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows; reconnecting happens there.
    };
  }

  private read(raw: unknown): ComfyWsMessage | undefined {
    if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
      const preview = readPreviewFrame(raw as ArrayBuffer | ArrayBufferView);
      if (!preview) return undefined;
      const promptId = preview.prompt_id ?? this.executing;
      return { type: "preview", data: { ...preview, ...(promptId ? { prompt_id: promptId } : {}) } };
    }
    const message = readWsMessage(raw);
    if (!message) return undefined;
    const promptId = (message.data as { prompt_id?: unknown }).prompt_id;
    if (typeof promptId === "string") {
      if (message.type === "executing" && message.data.node === null) {
        if (this.executing === promptId) this.executing = undefined;
      } else if (message.type === "execution_start" || message.type === "executing" || message.type === "progress") {
        this.executing = promptId;
      }
    }
    return message;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    if (this.listeners.size === 0 && this.openWaiters.length === 0) return;
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)]!;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.listeners.size > 0 || this.openWaiters.length > 0) this.connect();
    }, delay);
  }

  private scheduleIdleClose(): void {
    this.cancelIdleClose();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.listeners.size > 0) return;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      const old = this.ws;
      this.ws = undefined;
      if (old) this.detach(old);
    }, IDLE_CLOSE_MS);
    // An idle connection kept for reuse must not keep the process alive.
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  private cancelIdleClose(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private detach(ws: WebSocket): void {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch {
      // Already closing.
    }
  }
}

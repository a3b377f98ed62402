/**
 * The one `/ws` connection per ComfyUI instance per process.
 *
 * ComfyUI sends execution events only to the socket whose clientId submitted the prompt, so the
 * clientId is fixed for the life of the process and reconnects reuse it (ComfyUI rebinds the sid).
 * The socket is only a fast path: it can stall silently or drop, so callers also poll over HTTP.
 */
import { WebSocket as NodeWebSocket } from "ws";
import { readWsMessage, type ComfyWsMessage } from "./protocol";

// Bun and Node >= 22 ship a WHATWG WebSocket; Node 20 does not, and `ws` offers the same API there.
const WebSocketImpl: typeof WebSocket = globalThis.WebSocket ?? (NodeWebSocket as unknown as typeof WebSocket);

export type ComfyWsListener = (message: ComfyWsMessage) => void;

const BACKOFF_MS = [250, 500, 1000, 2000, 5000];
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
      for (const w of this.openWaiters.splice(0)) w(true);
    };
    ws.onmessage = (event) => {
      this.lastMessageAt = Date.now();
      const message = readWsMessage(event.data);
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

/**
 * ComfyUI's PromptQueue: pending items ordered by number (negative numbers from `front: true` jump
 * ahead), the one item currently running, and the history that task_done writes.
 */
import type { HistoryEntry, QueueItem } from "./types";

/** execution.py's MAXIMUM_HISTORY_SIZE. */
const MAXIMUM_HISTORY_SIZE = 10000;

export class PromptQueue {
  private pending: QueueItem[] = [];
  private running: QueueItem | undefined;
  private readonly history = new Map<string, HistoryEntry>();
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(private readonly onChange: () => void) {}

  get remaining(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  get current(): QueueItem | undefined {
    return this.running;
  }

  put(item: QueueItem): void {
    const at = this.pending.findIndex((other) => other[0] > item[0]);
    if (at === -1) this.pending.push(item);
    else this.pending.splice(at, 0, item);
    this.onChange();
    this.wake();
  }

  /** Resolves with the next item once one is pending and none is running, and marks it running; undefined once closed. */
  async take(): Promise<QueueItem | undefined> {
    while (this.running || this.pending.length === 0) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    if (this.closed) return undefined;
    const item = this.pending.shift() as QueueItem;
    this.running = item;
    this.onChange();
    return item;
  }

  /** The process died: take() gives up. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  done(promptId: string, entry: HistoryEntry): void {
    if (this.running?.[1] === promptId) this.running = undefined;
    if (this.history.size >= MAXIMUM_HISTORY_SIZE) {
      const oldest = this.history.keys().next().value;
      if (oldest !== undefined) this.history.delete(oldest);
    }
    this.history.delete(promptId);
    this.history.set(promptId, entry);
    this.onChange();
    this.wake();
  }

  snapshot(): { queue_running: QueueItem[]; queue_pending: QueueItem[] } {
    return { queue_running: this.running ? [this.running] : [], queue_pending: [...this.pending] };
  }

  deletePending(promptId: string): boolean {
    const at = this.pending.findIndex((item) => item[1] === promptId);
    if (at === -1) return false;
    this.pending.splice(at, 1);
    this.onChange();
    return true;
  }

  wipePending(): void {
    this.pending = [];
    this.onChange();
  }

  isPending(promptId: string): boolean {
    return this.pending.some((item) => item[1] === promptId);
  }

  /** execution.py's get_history: a negative offset with max_items means "the newest max_items". */
  historyOf(promptId?: string, maxItems?: number, offset = -1): Record<string, HistoryEntry> {
    if (promptId !== undefined) {
      const entry = this.history.get(promptId);
      return entry ? { [promptId]: entry } : {};
    }
    const start = offset < 0 && maxItems !== undefined ? this.history.size - maxItems : offset;
    const out: Record<string, HistoryEntry> = {};
    let i = 0;
    for (const [id, entry] of this.history) {
      if (i >= start) {
        out[id] = entry;
        if (maxItems !== undefined && Object.keys(out).length >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  deleteHistory(promptId: string): void {
    this.history.delete(promptId);
  }

  wipeHistory(): void {
    this.history.clear();
  }
}

/**
 * One WebSocket client's live session, independent of the socket library: authentication, topic
 * subscriptions, `resume` from an event id, ping/pong, and delivery from the process's event hub
 * with a bounded send buffer.
 *
 * Nothing is lost or doubled across a reconnect: replays read the log up to the hub's horizon
 * while live events wait in a (bounded) queue; every message carries the `eventId` of the log event
 * it reflects, and ids already sent on this socket are not sent again. A client that falls too far
 * behind is closed with a "resume since N" reason instead of slowing anyone else down.
 */
import { clientEvent, type EventHub, type LogEvent } from "./eventHub";
import { readLog } from "./follow";
import { TaskFold, type TaskSnapshot } from "./taskState";
import { parseTopic, topicKey, topicMatches, topicWhere, type Topic } from "./topics";

export interface SocketTransport {
  send(text: string): void;
  /** Bytes queued in the socket and not yet written to the network. */
  bufferedAmount(): number;
  close(code: number, reason: string): void;
}

export interface SessionDeps {
  hub: EventHub;
  resolveTenant(token: string | undefined): Promise<string | undefined>;
  /** Cancels a generation of the tenant; throws a message for the client when it cannot. */
  cancelGeneration(tenantId: string, generationId: string): Promise<void>;
  /** Starts another take of a finished generation; throws a message for the client when it cannot. */
  regenerateGeneration?(tenantId: string, generationId: string): Promise<{ generation: { id: string }; messages: unknown[] }>;
  limits?: Partial<SessionLimits>;
}

export interface SessionLimits {
  /** Bytes queued for a client before it is closed and told to resume. */
  maxBufferedBytes: number;
  /** Live events held while a replay runs. */
  maxPendingEvents: number;
  maxTopics: number;
  authTimeoutMs: number;
}

const DEFAULT_LIMITS: SessionLimits = { maxBufferedBytes: 1 << 20, maxPendingEvents: 10_000, maxTopics: 200, authTimeoutMs: 10_000 };
const REMEMBERED_IDS = 20_000;

/** WebSocket close codes of this API (4000–4999 is the application range). */
export const CLOSE = { unauthorized: 4401, tooSlow: 4408, protocol: 4400, restarting: 1012 } as const;

interface FoldState {
  fold: TaskFold;
  upTo: bigint;
}

type ClientMessage = { type?: unknown; [key: string]: unknown };

export class SocketSession {
  tenantId: string | undefined;
  private readonly limits: SessionLimits;
  private readonly topics = new Map<string, Topic>();
  private readonly folds = new Map<string, FoldState>();
  private readonly sent = new Set<string>();
  private pending: LogEvent[] | undefined;
  private replays = 0;
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private authTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly transport: SocketTransport,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...deps.limits };
  }

  /** Called on open, with the `?token=` (or bearer) token when the client sent one. */
  async open(token: string | undefined): Promise<void> {
    if (token) return this.authenticate(token);
    this.authTimer = setTimeout(() => this.close(CLOSE.unauthorized, "send { type: auth, token } first"), this.limits.authTimeoutMs);
  }

  async handle(raw: string | object): Promise<void> {
    let msg: ClientMessage;
    try {
      msg = (typeof raw === "string" ? JSON.parse(raw) : raw) as ClientMessage;
    } catch {
      return this.reply({ type: "error", code: "malformed", message: "messages are JSON objects with a type" });
    }
    if (!msg || typeof msg !== "object") return this.reply({ type: "error", code: "malformed", message: "messages are JSON objects with a type" });
    if (msg.type === "ping") return this.reply({ type: "pong", timestamp: msg.timestamp ?? null });
    if (msg.type === "auth") return this.authenticate(typeof msg.token === "string" ? msg.token : undefined);
    if (!this.tenantId) return this.reply({ type: "error", code: "unauthorized", message: "authenticate first: ?token= or { type: auth, token }" });
    switch (msg.type) {
      case "subscribe":
        return this.subscribe(msg.topics, msg.since);
      case "unsubscribe":
        for (const raw of Array.isArray(msg.topics) ? msg.topics : []) {
          const topic = parseTopic(raw);
          if (!topic) continue;
          this.topics.delete(topicKey(topic));
          if (topic.kind === "task") this.folds.delete(topic.id);
        }
        return this.reply({ type: "subscribed", topics: [...this.topics.keys()] });
      case "resume": {
        const since = eventIdOf(msg.since);
        if (since === undefined) return this.reply({ type: "error", code: "invalid", message: "resume needs since: the last eventId you received" });
        return this.replay(since, [...this.topics.values()]);
      }
      case "generation:cancel": {
        const id = typeof msg.id === "string" ? msg.id : "";
        try {
          await this.deps.cancelGeneration(this.tenantId, id);
          return this.reply({ type: "generation:cancel", id, status: "cancelling" });
        } catch (err) {
          return this.reply({ type: "error", code: "cancel_failed", id, message: (err as Error).message });
        }
      }
      case "generation:regenerate": {
        const id = typeof msg.id === "string" ? msg.id : "";
        if (!this.deps.regenerateGeneration) return this.reply({ type: "error", code: "unknown_type", message: "generation:regenerate is not offered here" });
        try {
          const answer = await this.deps.regenerateGeneration(this.tenantId, id);
          return this.reply({ type: "generation:regenerate", id, ...answer });
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          return this.reply({ type: "error", code: "regenerate_failed", id, reason: typeof code === "string" ? code : "internal", message: (err as Error).message });
        }
      }
      default:
        return this.reply({ type: "error", code: "unknown_type", message: `unknown message type ${JSON.stringify(msg.type)}` });
    }
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.transport.close(code, reason);
    this.dispose();
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.authTimer);
    this.unsubscribe?.();
    this.pending = undefined;
  }

  private async authenticate(token: string | undefined): Promise<void> {
    const tenantId = await this.deps.resolveTenant(token);
    if (!tenantId) return this.close(CLOSE.unauthorized, "invalid API key");
    if (this.tenantId && this.tenantId !== tenantId) return this.close(CLOSE.unauthorized, "one socket, one tenant");
    clearTimeout(this.authTimer);
    if (!this.tenantId) {
      this.tenantId = tenantId;
      await this.deps.hub.start();
      if (this.closed) return;
      const unsubscribe = this.deps.hub.subscribe((e) => this.onLive(e));
      // 1012 is WebSocket's "service restart": come back and resume, nothing was lost.
      const forget = this.deps.hub.onShutdown(() => this.close(CLOSE.restarting, "darkroom is restarting; reconnect and resume from your last eventId"));
      this.unsubscribe = () => {
        unsubscribe();
        forget();
      };
    }
    this.reply({ type: "auth:ok" });
  }

  private async subscribe(rawTopics: unknown, rawSince: unknown): Promise<void> {
    const added: Topic[] = [];
    for (const raw of Array.isArray(rawTopics) ? rawTopics : []) {
      const topic = parseTopic(raw);
      if (!topic) return this.reply({ type: "error", code: "invalid_topic", message: `not a topic: ${JSON.stringify(raw)} (agent:, user:, dialog:, generation:, task:<id>)` });
      if (!this.topics.has(topicKey(topic))) added.push(topic);
    }
    if (this.topics.size + added.length > this.limits.maxTopics) {
      return this.reply({ type: "error", code: "too_many_topics", message: `at most ${this.limits.maxTopics} topics per socket` });
    }
    for (const topic of added) this.topics.set(topicKey(topic), topic);
    this.reply({ type: "subscribed", topics: [...this.topics.keys()] });
    const since = eventIdOf(rawSince);
    // Task topics need their fold built from the log before live updates make sense.
    if (since !== undefined || added.some((t) => t.kind === "task")) await this.replay(since, added);
  }

  /**
   * Sends what `topics` had after `since` (undefined: nothing, only build task folds), up to the
   * hub's horizon; live events wait meanwhile. Replays run one at a time.
   */
  private replay(since: bigint | undefined, topics: Topic[]): Promise<void> {
    this.replays++;
    this.pending ??= [];
    const run = async () => {
      const tenantId = this.tenantId!;
      const upTo = this.deps.hub.horizon;
      const out: Array<{ key: string; id: bigint; message: Record<string, unknown> }> = [];
      const plain = topics.filter((t) => t.kind !== "task");
      if (since !== undefined && plain.length > 0) {
        await readLog(this.deps.hub.prisma, { OR: plain.map((t) => topicWhere(t, tenantId)) }, since, upTo, (e) =>
          out.push({ key: `e${e.id}`, id: e.id, message: clientEvent(e) }),
        );
      }
      for (const topic of topics.filter((t) => t.kind === "task")) {
        const state: FoldState = { fold: new TaskFold(), upTo };
        await readLog(this.deps.hub.prisma, topicWhere(topic, tenantId), 0n, upTo, (e) => {
          const snapshot = state.fold.apply(e.type, e.payload as Record<string, unknown>);
          if (since !== undefined && e.id > since) out.push({ key: `t${e.id}`, id: e.id, message: taskUpdate(e, topic.id, snapshot) });
        });
        if (this.topics.has(topicKey(topic))) this.folds.set(topic.id, state);
      }
      out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const o of out) this.emit(o.key, o.message);
      if (since !== undefined) this.reply({ type: "resumed", upTo: Number(upTo) });
    };
    const done = this.chain.then(run).catch((err) => this.reply({ type: "error", code: "replay_failed", message: (err as Error).message }));
    this.chain = done.finally(() => {
      if (--this.replays > 0) return;
      const held = this.pending ?? [];
      this.pending = undefined;
      for (const e of held) this.deliver(e);
    });
    return this.chain;
  }

  private onLive(e: LogEvent): void {
    if (this.closed || e.tenantId !== this.tenantId) return;
    if (this.pending) {
      this.pending.push(e);
      if (this.pending.length > this.limits.maxPendingEvents) this.tooSlow();
      return;
    }
    this.deliver(e);
  }

  private deliver(e: LogEvent): void {
    let plain = false;
    for (const topic of this.topics.values()) {
      if (!topicMatches(topic, this.tenantId!, e)) continue;
      if (topic.kind !== "task") {
        plain = true;
        continue;
      }
      const state = this.folds.get(topic.id);
      if (!state || e.id <= state.upTo) continue;
      state.upTo = e.id;
      this.emit(`t${e.id}`, taskUpdate(e, topic.id, state.fold.apply(e.type, e.payload as Record<string, unknown>)));
    }
    if (plain) this.emit(`e${e.id}`, clientEvent(e));
  }

  private emit(key: string, message: Record<string, unknown>): void {
    if (this.closed || this.sent.has(key)) return;
    this.sent.add(key);
    if (this.sent.size > REMEMBERED_IDS) this.sent.delete(this.sent.values().next().value!);
    this.reply(message);
  }

  private reply(message: Record<string, unknown>): void {
    if (this.closed) return;
    this.transport.send(JSON.stringify(message));
    if (this.transport.bufferedAmount() > this.limits.maxBufferedBytes) this.tooSlow();
  }

  private tooSlow(): void {
    // The client knows best what reached it: it resumes from the last eventId it received.
    this.close(CLOSE.tooSlow, "too slow; reconnect and resume from your last eventId");
  }
}

function taskUpdate(e: LogEvent, taskId: string, snapshot: TaskSnapshot): Record<string, unknown> {
  return { type: "task:update", eventId: Number(e.id), task_id: taskId, state: snapshot.state, details: snapshot.details };
}

function eventIdOf(raw: unknown): bigint | undefined {
  if (typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0) return BigInt(raw);
  if (typeof raw === "string" && /^\d{1,18}$/.test(raw)) return BigInt(raw);
  return undefined;
}

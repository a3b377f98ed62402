/**
 * A Telegram Bot API stand-in for tests and dev: `sendPhoto` (multipart upload), `sendMessage` and
 * `sendChatAction` (the "sending photo…" status), answering like the real API (`{ ok, result }` or `{ ok: false, error_code, description }`).
 * It records what each chat received, in one order (`seq`), and can be told to rate-limit (429 with retry_after), to
 * not know a chat (400 chat not found), or to be down (connection refused, same port when back).
 *
 * What it received can be read back over HTTP (`GET /received`, `GET /received/photos/<messageId>`,
 * CORS open) so the dev demo page can show the persona dialog's Telegram side. Only this stand-in
 * has those routes; the real Bot API is never asked for them.
 */
import { restartableServer } from "./restartableServer";

export interface SentPhoto {
  /** Position among everything the simulator received (photos, messages, chat actions). */
  seq: number;
  chatId: string;
  messageId: number;
  caption?: string;
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface SentMessage {
  seq: number;
  chatId: string;
  messageId: number;
  text: string;
}

/** A `sendChatAction`: what the chat showed (e.g. "sending photo…" for `upload_photo`) for 5 s. */
export interface SentChatAction {
  seq: number;
  chatId: string;
  action: string;
  at: number;
}

/** The actions the Bot API accepts for sendChatAction. */
const CHAT_ACTIONS = new Set(["typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice", "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"]);

export interface TelegramSimulator {
  url: string;
  token: string;
  photos: SentPhoto[];
  messages: SentMessage[];
  chatActions: SentChatAction[];
  /** Every Bot API call received but chat actions (those are in `chatActions`), with the answer's status (including the refused ones). */
  calls: Array<{ method: string; chatId?: string; status: number }>;
  /** The next `count` sendPhoto/sendMessage calls answer 429 with `retry_after` seconds. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  /** Calls for this chat answer 400 "Bad Request: chat not found". */
  forgetChat(chatId: string): void;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTelegramSimulator(opts: { token: string; port?: number; host?: string }): Promise<TelegramSimulator> {
  const server = restartableServer({ host: opts.host, port: opts.port, fetch: (req) => handle(req) });
  let nextMessageId = 1;
  let seq = 0;
  let rateLimited: number[] = [];
  const unknownChats = new Set<string>();
  const sim: TelegramSimulator = {
    url: "",
    token: opts.token,
    photos: [],
    messages: [],
    chatActions: [],
    calls: [],
    rateLimitNext(count, retryAfterSeconds) {
      rateLimited = rateLimited.concat(Array.from({ length: count }, () => retryAfterSeconds));
    },
    forgetChat(chatId) {
      unknownChats.add(chatId);
    },
    down: () => server.down(),
    async up() {
      await server.up();
      sim.url = server.origin;
    },
    stop: () => server.down(),
  };

  const answer = (status: number, body: unknown) => Response.json(body, { status });
  const fail = (status: number, description: string, extra: Record<string, unknown> = {}) =>
    answer(status, { ok: false, error_code: status, description, ...extra });

  const cors = { "access-control-allow-origin": "*", "cache-control": "no-store" };

  /** `GET /received[?chatId=]`: photos (as URLs of this server), messages and chat actions, oldest first. */
  function received(url: URL): Response {
    const chatId = url.searchParams.get("chatId") ?? undefined;
    const mine = <T extends { chatId: string }>(xs: T[]) => xs.filter((x) => chatId === undefined || x.chatId === chatId);
    return Response.json(
      {
        photos: mine(sim.photos).map((p) => ({
          seq: p.seq,
          chatId: p.chatId,
          messageId: p.messageId,
          caption: p.caption,
          contentType: p.contentType,
          url: `${sim.url}/received/photos/${p.messageId}`,
        })),
        messages: mine(sim.messages).map((m) => ({ seq: m.seq, chatId: m.chatId, messageId: m.messageId, text: m.text })),
        chatActions: mine(sim.chatActions).map((a) => ({ seq: a.seq, chatId: a.chatId, action: a.action, at: new Date(a.at).toISOString() })),
      },
      { headers: cors },
    );
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.method === "GET" && url.pathname === "/received") return received(url);
    const photoRoute = /^\/received\/photos\/(\d+)$/.exec(url.pathname);
    if (req.method === "GET" && photoRoute) {
      const photo = sim.photos.find((p) => p.messageId === Number(photoRoute[1]));
      if (!photo) return new Response("no such photo", { status: 404, headers: cors });
      return new Response(photo.bytes.slice().buffer as ArrayBuffer, { headers: { ...cors, "content-type": photo.contentType || "image/jpeg" } });
    }
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return fail(404, "Not Found");
    const [, token, method] = m;
    const record = (status: number, chatId?: string) => sim.calls.push({ method: method!, chatId, status });
    if (token !== opts.token) {
      record(401);
      return fail(401, "Unauthorized");
    }
    if (req.method !== "POST") return fail(405, "Method Not Allowed");
    let chatId: string | undefined;
    let form: FormData | undefined;
    let json: Record<string, unknown> | undefined;
    if ((req.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
      form = await req.formData();
      chatId = form.get("chat_id")?.toString();
    } else {
      json = (await req.json().catch(() => ({}))) as Record<string, unknown>;
      chatId = json.chat_id === undefined ? undefined : String(json.chat_id);
    }
    if (method === "sendChatAction") {
      // Kept apart from `calls` and the 429 switch, which are about deliveries.
      if (!chatId) return fail(400, "Bad Request: chat_id is empty");
      if (unknownChats.has(chatId)) return fail(400, "Bad Request: chat not found");
      const action = String(json?.action ?? form?.get("action") ?? "");
      if (!CHAT_ACTIONS.has(action)) return fail(400, "Bad Request: wrong parameter action in request");
      sim.chatActions.push({ seq: ++seq, chatId, action, at: Date.now() });
      return answer(200, { ok: true, result: true });
    }
    const retryAfter = rateLimited.shift();
    if (retryAfter !== undefined) {
      record(429, chatId);
      return fail(429, `Too Many Requests: retry after ${retryAfter}`, { parameters: { retry_after: retryAfter } });
    }
    if (!chatId) {
      record(400);
      return fail(400, "Bad Request: chat_id is empty");
    }
    if (unknownChats.has(chatId)) {
      record(400, chatId);
      return fail(400, "Bad Request: chat not found");
    }
    const messageId = nextMessageId++;
    if (method === "sendPhoto") {
      const photo = form?.get("photo");
      if (!(photo instanceof Blob) || photo.size === 0) {
        record(400, chatId);
        return fail(400, "Bad Request: there is no photo in the request");
      }
      const caption = form?.get("caption")?.toString();
      sim.photos.push({
        seq: ++seq,
        chatId,
        messageId,
        caption,
        filename: (photo as File).name ?? "",
        contentType: photo.type,
        bytes: new Uint8Array(await photo.arrayBuffer()),
      });
      record(200, chatId);
      return answer(200, { ok: true, result: { message_id: messageId, chat: { id: chatId }, date: Math.floor(Date.now() / 1000), caption } });
    }
    if (method === "sendMessage") {
      const text = String(json?.text ?? form?.get("text") ?? "");
      if (!text) {
        record(400, chatId);
        return fail(400, "Bad Request: message text is empty");
      }
      sim.messages.push({ seq: ++seq, chatId, messageId, text });
      record(200, chatId);
      return answer(200, { ok: true, result: { message_id: messageId, chat: { id: chatId }, date: Math.floor(Date.now() / 1000), text } });
    }
    record(404, chatId);
    return fail(404, "Not Found: method not found");
  }

  await sim.up();
  return sim;
}

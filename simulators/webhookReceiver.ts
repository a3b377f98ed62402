/**
 * A webhook receiver for tests and dev: verifies each POST's Standard Webhooks signature, records
 * what arrived, and can answer 500 for a while or be down (connection refused, same port when back).
 */
import { restartableServer } from "./restartableServer";
import { verifyWebhook } from "../lib/standardWebhooks";

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  body: unknown;
  /** The signature checked out against the receiver's secret. */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every POST received, in order (including refused and failed ones). */
  received: ReceivedWebhook[];
  /** The next `count` POSTs answer with `status` (e.g. 500). */
  failNext(count: number, status?: number): void;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(opts: { secret: string; port?: number; host?: string; path?: string }): Promise<WebhookReceiver> {
  const hookPath = opts.path ?? "/hooks/darkroom";
  const server = restartableServer({ host: opts.host, port: opts.port, fetch: (req) => handle(req) });
  let failures: number[] = [];
  const receiver: WebhookReceiver = {
    url: "",
    received: [],
    failNext(count, status = 500) {
      failures = failures.concat(Array.from({ length: count }, () => status));
    },
    down: () => server.down(),
    async up() {
      await server.up();
      receiver.url = `${server.origin}${hookPath}`;
    },
    stop: () => server.down(),
  };

  async function handle(req: Request): Promise<Response> {
    if (req.method !== "POST" || new URL(req.url).pathname !== hookPath) return new Response("not found", { status: 404 });
    const raw = await req.text();
    const headers = { id: req.headers.get("webhook-id"), timestamp: req.headers.get("webhook-timestamp"), signature: req.headers.get("webhook-signature") };
    const verified = verifyWebhook(opts.secret, headers, raw);
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {}
    const status = !verified ? 401 : (failures.shift() ?? 204);
    receiver.received.push({ id: headers.id ?? "", timestamp: Number(headers.timestamp), body, verified, status });
    return new Response(status === 204 ? null : "receiver says no", { status });
  }

  await receiver.up();
  return receiver;
}

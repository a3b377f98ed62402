/**
 * Where a dialog's pictures go, checked before anything is recorded: a Telegram chat id, and a
 * webhook URL that must not point into our own network (SSRF) unless the operator allows it.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

export interface DeliveryTargets {
  telegram?: { chatId: string };
  webhook?: { url: string };
}

export class DeliveryTargetInvalid extends Error {
  override readonly name = "DeliveryTargetInvalid";
  constructor(
    readonly code: "invalid_chat_id" | "invalid_webhook_url" | "webhook_url_refused",
    message: string,
  ) {
    super(message);
  }
}

/** A numeric chat id (negative for groups, -100… for channels) or a public `@channelusername`. */
export function normalizeTelegramChatId(raw: string | number): string {
  const text = String(raw).trim();
  if (/^-?[1-9]\d{0,15}$/.test(text)) return text;
  if (/^@[A-Za-z][A-Za-z0-9_]{3,31}$/.test(text)) return text;
  throw new DeliveryTargetInvalid(
    "invalid_chat_id",
    `Telegram chat id "${text.slice(0, 80)}" is neither an integer nor an @channelusername (5-32 letters, digits, _)`,
  );
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["198.51.100.0", 24],
  ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96], ["100::", 64], ["2001:db8::", 32],
] as const) blocked.addSubnet(net, prefix, "ipv6");

/** Loopback, private, link-local, CGNAT, multicast, documentation and unspecified addresses. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family !== 6) return true;
  // IPv4-mapped (::ffff:10.0.0.1) and IPv4-compatible forms hide an IPv4 address.
  const mapped = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return blocked.check(mapped, "ipv4");
  if (/^::ffff:/i.test(address)) return true;
  return blocked.check(address, "ipv6");
}

export type Resolve = (host: string) => Promise<string[]>;
const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Checks a webhook URL: http(s), no credentials, and (unless `allowPrivate`) a host whose every
 * resolved address is public. Run at request time and again before each delivery, because DNS
 * answers can change between the two.
 */
export async function checkWebhookUrl(raw: string, opts: { allowPrivate: boolean; resolve?: Resolve }): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DeliveryTargetInvalid("invalid_webhook_url", `Webhook URL "${raw.slice(0, 200)}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new DeliveryTargetInvalid("invalid_webhook_url", `Webhook URL must be http or https, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new DeliveryTargetInvalid("invalid_webhook_url", "Webhook URL must not carry credentials");
  if (opts.allowPrivate) return url.toString();
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (opts.resolve ?? systemResolve)(host);
    } catch {
      throw new DeliveryTargetInvalid("invalid_webhook_url", `Webhook host "${host}" does not resolve`);
    }
  }
  const bad = addresses.find(isNonPublicAddress);
  if (bad !== undefined || addresses.length === 0) {
    throw new DeliveryTargetInvalid(
      "webhook_url_refused",
      `Webhook URL points at a private, loopback or link-local address (${host}${bad && bad !== host ? ` → ${bad}` : ""}); only public receivers are allowed`,
    );
  }
  return url.toString();
}

/**
 * Who a series is: the session id and per-angle seeds come from a SHA-256 of a canonical
 * JSON of tenant, subject and nonce, so the same request gives the same session and seeds in every
 * process and on every machine. (The original used Python's `hash()`, which is salted per process.)
 */
import { createHash } from "node:crypto";

export interface SeriesSubject {
  brand: string;
  model: string;
  year: number;
  color: string;
  bodyType: string;
}

/** JSON with object keys sorted at every level: the same value always serialises to the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** Text fields are compared trimmed and case-folded: "BMW " and "bmw" are the same car. */
function normalizedSubject(s: SeriesSubject): SeriesSubject {
  const fold = (v: string) => v.normalize("NFC").trim().replace(/\s+/g, " ").toLowerCase();
  return { brand: fold(s.brand), model: fold(s.model), year: s.year, color: fold(s.color), bodyType: fold(s.bodyType) };
}

/** 32 hex characters (128 bits) of SHA-256("darkroom/series/v1" + canonical tenant, subject, nonce). */
export function seriesSessionId(tenantId: string, subject: SeriesSubject, nonce = ""): string {
  const identity = canonicalJson({ v: 1, tenant: tenantId, subject: normalizedSubject(subject), nonce });
  return sha256(`darkroom/series/v1\u0000${identity}`).toString("hex").slice(0, 32);
}

/** A 48-bit seed per angle (safe as a JS number, accepted by every sampler); different angles differ. */
export function angleSeed(sessionId: string, angle: string): number {
  const digest = sha256(`darkroom/series/seed/v1\u0000${sessionId}\u0000${angle}`);
  return digest.readUIntBE(0, 6);
}

/**
 * Every error leaves the API as `{ error: { code, message, details? } }` with a 4xx a person can act
 * on. Elysia's own validation messages vanish in production mode, so they are rewritten here.
 */
import { Elysia } from "elysia";
import { ServiceRefusal, type RefusalReason } from "../service";
import { log } from "../lib/log";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The status each of the service's refusals answers with. */
const STATUS: Record<RefusalReason, number> = { invalid: 400, not_found: 404, conflict: 409, gone: 410, unavailable: 503, limited: 429 };

interface ValueErrorLike {
  path?: string;
  message?: string;
  summary?: string;
  schema?: { maxLength?: number; minLength?: number; pattern?: string };
}

function describeValidation(error: unknown): { message: string; details: unknown } {
  const e = error as { type?: string; all?: ValueErrorLike[]; valueError?: ValueErrorLike };
  const where = e.type ?? "request";
  const all = Array.isArray(e.all) ? e.all : e.valueError ? [e.valueError] : [];
  const problems = all.slice(0, 10).map((v) => {
    const field = (v.path ?? "").replace(/^\//, "").replace(/\//g, ".") || where;
    return { field, problem: v.summary || v.message || "is invalid" };
  });
  const first = problems[0];
  const message = first ? `Invalid ${where}: ${first.field} — ${first.problem}` : `Invalid ${where}`;
  return { message, details: problems };
}

export const errorHandling = new Elysia({ name: "darkroom/errors" })
  .error({ HttpError, ServiceRefusal })
  .onError({ as: "global" }, ({ code, error, set, request }) => {
    if (error instanceof ServiceRefusal) {
      set.status = STATUS[error.reason];
      // A used-up daily quota says when to come back.
      const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === "number") set.headers["retry-after"] = String(retryAfter);
      return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
    }
    if (error instanceof HttpError) {
      set.status = error.status;
      return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
    }
    switch (code) {
      case "VALIDATION": {
        set.status = 400;
        const { message, details } = describeValidation(error);
        return { error: { code: "invalid_request", message, details } };
      }
      case "PARSE":
        set.status = 400;
        return { error: { code: "malformed_body", message: "The request body is not valid JSON (or not the declared content type)" } };
      case "NOT_FOUND":
        set.status = 404;
        return { error: { code: "not_found", message: "No such route" } };
      default: {
        const status = (error as { status?: number }).status;
        if (typeof status === "number" && status >= 400 && status < 500) {
          set.status = status;
          return { error: { code: "bad_request", message: (error as Error).message || "Bad request" } };
        }
        log().error({ err: error, method: request.method, path: new URL(request.url).pathname }, "unhandled API error");
        set.status = 500;
        return { error: { code: "internal", message: "Something went wrong on our side; the request was not applied" } };
      }
    }
  });

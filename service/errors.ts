/**
 * Why the service refused a request, in words the caller can act on. The HTTP layer maps each
 * reason to its status (api/errors.ts); WebSocket and flows pass the message on as it is.
 */
export type RefusalReason = "invalid" | "not_found" | "conflict" | "unavailable" | "gone" | "limited";

export class ServiceRefusal extends Error {
  override readonly name = "ServiceRefusal";
  constructor(
    readonly reason: RefusalReason,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Another tenant's id is indistinguishable from an unknown one: not found, never forbidden. */
export const notFound = (what: string, id: string) => new ServiceRefusal("not_found", "not_found", `${what} "${id}" was not found`);

/** How an AI Horde call fails, each with what the caller should do about it. */

export class HordeError extends Error {
  override readonly name: string = "HordeError";
  constructor(
    message: string,
    readonly status: number,
    /** The Horde's return code, e.g. "KudosUpfront", "TooManyPrompts", "RequestNotFound". */
    readonly rc?: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

/** 429: too many prompts in flight or requests per second; wait and try again. */
export class HordeRateLimited extends HordeError {
  override readonly name = "HordeRateLimited";
}

/** 404 RequestNotFound: the request expired (not refreshed for ~20 minutes) or was deleted. */
export class HordeRequestExpired extends HordeError {
  override readonly name = "HordeRequestExpired";
}

/** The Horde or its workers could not make the image (faulted, or no worker can serve it). */
export class HordeRequestFailed extends HordeError {
  override readonly name = "HordeRequestFailed";
}

/** 400/401/403: the request itself is refused; sending it again will not help. */
export class HordeRequestRefused extends HordeError {
  override readonly name = "HordeRequestRefused";
}

/** 5xx or unreachable: the Horde is down or in maintenance; later may work. */
export class HordeUnavailable extends HordeError {
  override readonly name = "HordeUnavailable";
}

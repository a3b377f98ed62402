/**
 * The failure types that cross the activity → workflow boundary and change what a workflow does
 * next. Activities raise them (as the `type` of an ApplicationFailure, from an error's `name`);
 * workflows decide by them. Defined once so the two sides cannot drift.
 */
export const FailureType = {
  /** The instance is down, lost the prompt too often, or refused the connection: try another one. */
  ComfyInstanceUnavailable: "ComfyInstanceUnavailable",
  /** No healthy instance could take the job within the budget. */
  NoInstanceAvailable: "NoInstanceAvailable",
  /** A companion photo waited longer than its budget in its user's queue. */
  GenerationTimedOut: "GenerationTimedOut",
  /** Every provider of an angle series failed the angle. */
  AllProvidersFailed: "AllProvidersFailed",
  /** The generation's parameters (size, seed, prompt) are not something a template can take. */
  InvalidGenerationParams: "InvalidGenerationParams",
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failures after which another instance should get the job instead of failing the user. */
export const FAILOVER_FAILURES: ReadonlySet<string> = new Set([FailureType.ComfyInstanceUnavailable]);

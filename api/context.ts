import type { Client } from "@temporalio/client";
import type { GenerationActivities } from "../activities/db/generations";
import type { InstancePool } from "../activities/instancePool";
import type { ComposeMessageInput, ComposedMessage } from "../activities/llm";
import type { ImageStore } from "../lib/storage";
import type { Config } from "../lib/config";
import type { PersonaCatalog } from "../lib/personas";
import type { PrismaClient } from "../lib/db/generated/client";
import type { EventHub } from "../lib/live/eventHub";
import type { UrlSigner } from "../lib/signedUrls";
import type { SearchAttributeCheck } from "../lib/temporal/searchAttributes";

/** What the HTTP layer may use. It holds no business logic of its own: it starts and reads. */
export interface ApiContext {
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  signer: UrlSigner;
  store: ImageStore;
  pool: InstancePool;
  /** The persona files, loaded and checked once at start. */
  personas: PersonaCatalog;
  /** In-character messages: templates, or the LLM within its budget. */
  composeMessage(input: ComposeMessageInput): Promise<ComposedMessage>;
  /** The same idempotent record-keeping the workflows use, for the API's fast path. */
  generations: GenerationActivities;
  /** Resolves a bearer key to its tenant id (cached). */
  resolveTenant(key: string | undefined): Promise<string | undefined>;
  /** This process's reader of the event log, feeding SSE streams and WebSockets. */
  liveEvents: EventHub;
  /** Liveness of the Temporal frontend, for /readyz. */
  temporalReachable(): Promise<boolean>;
  /** darkroom's search attributes in the namespace, for /readyz (re-checked until they are there). */
  searchAttributes?(): Promise<SearchAttributeCheck>;
}

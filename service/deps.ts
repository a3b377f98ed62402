/** What the generation service works with; the composition root builds it once per process. */
import type { Client } from "@temporalio/client";
import type { GenerationActivities } from "../activities/db/generations";
import type { SeriesActivities } from "../activities/db/series";
import type { TaskRecordActivities } from "../activities/db/tasks";
import type { InstancePool } from "../activities/instancePool";
import type { ComposeMessageInput, ComposedMessage } from "../activities/llm";
import type { PersonaCatalog } from "../activities/personas";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";
import type { UrlSigner } from "../lib/signedUrls";
import type { ContentPolicy } from "./contentPolicy";
import type { ImageStore } from "../lib/storage";
import type { TenantPriority } from "./tenantScheduling";

export interface ServiceDeps {
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  /** The Temporal priority (tier, fairness key and weight) a tenant's new work starts with. */
  tenantPriority: TenantPriority;
  signer: UrlSigner;
  store: ImageStore;
  pool: InstancePool;
  /** The persona files, loaded and checked once at start. */
  personas: PersonaCatalog;
  /** In-character messages: templates, or the LLM within its budget. */
  composeMessage(input: ComposeMessageInput): Promise<ComposedMessage>;
  /** The first-record writes the workflows also make (idempotent), for read-your-writes. */
  /** Now, for the daily quotas (tests move it to another day); the system clock when absent. */
  clock?: () => Date;
  records: {
    beginGeneration: GenerationActivities["beginGeneration"];
    cancelGeneration: GenerationActivities["cancelGeneration"];
    beginAngleSeries: SeriesActivities["beginAngleSeries"];
    beginTask: TaskRecordActivities["beginTask"];
    recordRefusal: GenerationActivities["recordRefusal"];
  };
  /** The content policy on image prompts (built by the service from config and the tenants' rows). */
  safety: ContentPolicy;
}

/** Public URLs of a stored image and its thumbnail (signed, so a plain <img> can show them). */
export const imageUrls = (signer: UrlSigner, imageId: string) => ({ url: signer.imageUrl(imageId), thumbnailUrl: signer.imageUrl(imageId, "thumb") });

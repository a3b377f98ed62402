import type { Client } from "@temporalio/client";
import type { InstancePool } from "../activities/instancePool";
import type { ImageStore } from "../activities/storage";
import type { Config } from "../lib/config";
import type { PrismaClient } from "../lib/db/generated/client";
import type { UrlSigner } from "../lib/signedUrls";

/** What the HTTP layer may use. It holds no business logic of its own: it starts and reads. */
export interface ApiContext {
  config: Config;
  prisma: PrismaClient;
  temporal: Client;
  signer: UrlSigner;
  store: ImageStore;
  pool: InstancePool;
  /** Resolves a bearer key to its tenant id (cached). */
  resolveTenant(key: string | undefined): Promise<string | undefined>;
  /** Liveness of the Temporal frontend, for /readyz. */
  temporalReachable(): Promise<boolean>;
}

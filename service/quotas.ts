/**
 * Daily image quotas: how many images one user (a chat user, or a persona dialog) and a whole
 * tenant may start per UTC day. Limits are the tenant's own (`./darkroom tenants set`), else the
 * server's defaults (`DARKROOM_QUOTA_USER_DAY`, `DARKROOM_QUOTA_TENANT_DAY`); none means no limit.
 *
 * Spending is one conditional upsert per counter row (tenant, user, day):
 * `INSERT … ON CONFLICT DO UPDATE SET used = used + n WHERE used + n <= limit RETURNING used` —
 * PostgreSQL takes the row lock and re-checks the condition on the newest row version, so
 * concurrent starts never overspend and never lose a count. A start spends before its workflow is
 * started and gives the images back when the start itself fails (or spends inside the caller's
 * transaction, which a failed start rolls back), so only started images count.
 */
import { tenantSettings } from "../lib/tenantSettings";
import type { Prisma, PrismaClient } from "../lib/db/generated/client";
import type { Config } from "../lib/config";
import { ServiceRefusal } from "./errors";

export type QuotaScope = "user" | "tenant";

/** What a refused start is told: the limit it hit, how much of it is used, and when it resets. */
export interface QuotaState {
  scope: QuotaScope;
  limit: number;
  used: number;
  /** The next UTC midnight. */
  resetsAt: string;
}

export class QuotaExceeded extends ServiceRefusal {
  constructor(
    readonly quota: QuotaState,
    readonly retryAfterSeconds: number,
  ) {
    super(
      "limited",
      "quota_exceeded",
      `The ${quota.scope === "user" ? "user's" : "tenant's"} daily image quota is used up (${quota.used} of ${quota.limit}); it resets at ${quota.resetsAt}`,
      { quota },
    );
  }
}

export interface TenantQuotaLimits {
  userPerDay?: number;
  tenantPerDay?: number;
  maxConcurrentPerUser: number;
}

/** What a start spent, to give back if the start fails. */
export interface QuotaReservation {
  release(): Promise<void>;
}

type Db = PrismaClient | Prisma.TransactionClient;

const DAY_MS = 86_400_000;
/** The UTC day of an instant, as PostgreSQL's `date` reads it. */
export const utcDay = (at: Date) => at.toISOString().slice(0, 10);
export const nextUtcMidnight = (at: Date) => new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS + DAY_MS);

export function quotaService(deps: { prisma: PrismaClient; config: Config; clock?: () => Date }) {
  const { prisma, config } = deps;
  const now = () => deps.clock?.() ?? new Date();

  async function spendRow(db: Db, tenantId: string, userKey: string, day: string, images: number, limit: number): Promise<boolean> {
    if (images > limit) return false;
    const rows = await db.$queryRaw<Array<{ used: number }>>`
      INSERT INTO "QuotaUsage" ("tenantId", "userKey", "day", "used") VALUES (${tenantId}, ${userKey}, ${day}::date, ${images})
      ON CONFLICT ("tenantId", "userKey", "day") DO UPDATE SET "used" = "QuotaUsage"."used" + ${images}
      WHERE "QuotaUsage"."used" + ${images} <= ${limit}
      RETURNING "used"`;
    return rows.length === 1;
  }

  async function giveBack(db: Db, tenantId: string, userKey: string, day: string, images: number): Promise<void> {
    await db.$executeRaw`
      UPDATE "QuotaUsage" SET "used" = GREATEST(0, "used" - ${images})
      WHERE "tenantId" = ${tenantId} AND "userKey" = ${userKey} AND "day" = ${day}::date`;
  }

  async function used(db: Db, tenantId: string, userKey: string, day: string): Promise<number> {
    const rows = await db.$queryRaw<Array<{ used: number }>>`
      SELECT "used" FROM "QuotaUsage" WHERE "tenantId" = ${tenantId} AND "userKey" = ${userKey} AND "day" = ${day}::date`;
    return rows[0]?.used ?? 0;
  }

  async function limitsOf(tenantId: string): Promise<TenantQuotaLimits> {
    const t = await tenantSettings(prisma)(tenantId);
    return {
      userPerDay: t?.imagesPerUserPerDay ?? config.quotas.userPerDay,
      tenantPerDay: t?.imagesPerTenantPerDay ?? config.quotas.tenantPerDay,
      maxConcurrentPerUser: t?.maxConcurrentPerUser ?? config.maxConcurrentGenerations,
    };
  }

  /**
   * Spends `images` of the user's (when `userKey` is given) and the tenant's quota of today, or
   * throws QuotaExceeded naming the one that is used up (and spends nothing). With `db`, the
   * spending is part of the caller's transaction.
   */
  async function reserve(
    r: { tenantId: string; userKey?: string; images?: number; limits?: TenantQuotaLimits },
    db?: Prisma.TransactionClient,
  ): Promise<QuotaReservation> {
    const limits = r.limits ?? (await limitsOf(r.tenantId));
    const images = r.images ?? 1;
    const at = now();
    const day = utcDay(at);
    const checks: Array<{ scope: QuotaScope; key: string; limit: number }> = [];
    if (r.userKey !== undefined && limits.userPerDay !== undefined) checks.push({ scope: "user", key: r.userKey, limit: limits.userPerDay });
    if (limits.tenantPerDay !== undefined) checks.push({ scope: "tenant", key: "", limit: limits.tenantPerDay });
    if (checks.length === 0) return { release: async () => undefined };

    const spend = async (tx: Db) => {
      const spent: typeof checks = [];
      for (const check of checks) {
        if (await spendRow(tx, r.tenantId, check.key, day, images, check.limit)) {
          spent.push(check);
          continue;
        }
        // Undo what this call spent before the refusal (same transaction, so no one saw it).
        for (const s of spent) await giveBack(tx, r.tenantId, s.key, day, images);
        const resetsAt = nextUtcMidnight(at);
        const state: QuotaState = { scope: check.scope, limit: check.limit, used: Math.min(check.limit, await used(tx, r.tenantId, check.key, day)), resetsAt: resetsAt.toISOString() };
        throw new QuotaExceeded(state, Math.max(1, Math.ceil((resetsAt.getTime() - at.getTime()) / 1000)));
      }
    };
    if (db) await spend(db);
    else await prisma.$transaction((tx) => spend(tx));
    return {
      release: async () => {
        const release = async (tx: Db) => {
          for (const check of checks) await giveBack(tx, r.tenantId, check.key, day, images);
        };
        if (db) await release(db);
        else await prisma.$transaction((tx) => release(tx));
      },
    };
  }

  /** Today's counters of a tenant (and one user), for operators and tests. */
  async function usage(tenantId: string, userKey?: string) {
    const day = utcDay(now());
    return { day, tenant: await used(prisma, tenantId, "", day), ...(userKey !== undefined ? { user: await used(prisma, tenantId, userKey, day) } : {}) };
  }

  return { limitsOf, reserve, usage };
}

export type QuotaService = ReturnType<typeof quotaService>;

/** The user keys quotas count per: a chat user of the tenant, or a persona dialog. */
export const userQuotaKey = (userId: string) => `user:${userId}`;
export const dialogQuotaKey = (dialogId: string) => `dialog:${dialogId}`;

/**
 * Runs a start with its images spent, giving them back when it fails before its workflow was
 * started (a refused start, or anything before it). `started` is called by the first-record write,
 * which comes after the workflow start: from then on the images stay spent, whatever happens.
 */
export async function startSpending<R>(reservation: QuotaReservation | undefined, start: (started: () => void) => Promise<R>): Promise<R> {
  let begun = false;
  try {
    return await start(() => void (begun = true));
  } catch (err) {
    if (!begun) await reservation?.release();
    throw err;
  }
}

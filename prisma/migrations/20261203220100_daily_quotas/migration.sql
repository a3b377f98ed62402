-- Daily image quotas per tenant and per user, and their per-day usage counters.
-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "imagesPerTenantPerDay" INTEGER,
ADD COLUMN     "imagesPerUserPerDay" INTEGER,
ADD COLUMN     "maxConcurrentPerUser" INTEGER;

-- CreateTable
CREATE TABLE "QuotaUsage" (
    "tenantId" TEXT NOT NULL,
    "userKey" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "QuotaUsage_pkey" PRIMARY KEY ("tenantId","userKey","day")
);

-- AddForeignKey
ALTER TABLE "QuotaUsage" ADD CONSTRAINT "QuotaUsage_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

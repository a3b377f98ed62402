-- A generation's GPU work stopped (cancelled, or timed out): GPU workers never submit it again.
-- AlterTable
ALTER TABLE "Generation" ADD COLUMN "gpuStoppedAt" TIMESTAMP(3);

-- AlterEnum
ALTER TYPE "GenerationStatus" ADD VALUE 'refused';

-- AlterTable
ALTER TABLE "Generation" ADD COLUMN     "refusedBy" TEXT;

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "blocklist" TEXT[] DEFAULT ARRAY[]::TEXT[];

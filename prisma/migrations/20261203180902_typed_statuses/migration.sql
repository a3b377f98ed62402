-- Statuses and kinds become enums. The generated diff drops and re-adds each column, which would
-- lose the value of every existing row. Converting in place keeps them, and the indexes on them.

-- CreateEnum
CREATE TYPE "GenerationKind" AS ENUM ('companion_photo', 'angle_series', 'chat_image', 'variations');

-- CreateEnum
CREATE TYPE "GenerationStatus" AS ENUM ('pending', 'generating', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "SeriesStatus" AS ENUM ('pending', 'generating', 'completed', 'partial', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('pending', 'retrying', 'delivered', 'failed');

-- AlterTable
ALTER TABLE "Delivery" ALTER COLUMN "status" DROP DEFAULT,
ALTER COLUMN "status" SET DATA TYPE "DeliveryStatus" USING ("status"::"DeliveryStatus"),
ALTER COLUMN "status" SET DEFAULT 'pending';

-- AlterTable
ALTER TABLE "Generation" ALTER COLUMN "kind" SET DATA TYPE "GenerationKind" USING ("kind"::"GenerationKind"),
ALTER COLUMN "status" DROP DEFAULT,
ALTER COLUMN "status" SET DATA TYPE "GenerationStatus" USING ("status"::"GenerationStatus"),
ALTER COLUMN "status" SET DEFAULT 'pending';

-- AlterTable
ALTER TABLE "Series" ALTER COLUMN "status" DROP DEFAULT,
ALTER COLUMN "status" SET DATA TYPE "SeriesStatus" USING ("status"::"SeriesStatus"),
ALTER COLUMN "status" SET DEFAULT 'pending';

-- "Take another one": a regenerated generation names the one it was made again from.
-- AlterTable
ALTER TABLE "Generation" ADD COLUMN     "regeneratedFrom" TEXT;

-- CreateIndex
CREATE INDEX "Generation_regeneratedFrom_idx" ON "Generation"("regeneratedFrom");

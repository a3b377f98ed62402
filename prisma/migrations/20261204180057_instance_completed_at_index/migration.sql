-- CreateIndex
CREATE INDEX "Generation_instance_completedAt_idx" ON "Generation"("instance", "completedAt");

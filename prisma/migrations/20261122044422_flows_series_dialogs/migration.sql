-- AlterTable
ALTER TABLE "Generation" ADD COLUMN     "angle" TEXT,
ADD COLUMN     "cacheKey" TEXT,
ADD COLUMN     "finalResult" JSONB,
ADD COLUMN     "inputs" JSONB,
ADD COLUMN     "isMain" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "messageNumber" INTEGER,
ADD COLUMN     "seriesId" TEXT,
ADD COLUMN     "stepResults" JSONB;

-- CreateTable
CREATE TABLE "Series" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "subject" JSONB NOT NULL,
    "nonce" TEXT NOT NULL DEFAULT '',
    "angles" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "workflowId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "Series_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Dialog" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "dialogId" TEXT NOT NULL,
    "personaId" TEXT NOT NULL,
    "messageCount" INTEGER NOT NULL DEFAULT 0,
    "lastImageMessageNo" INTEGER,
    "lastImageGenerationAt" TIMESTAMP(3),
    "nextTriggerAt" INTEGER NOT NULL,
    "triggerDraws" INTEGER NOT NULL DEFAULT 0,
    "delivery" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Dialog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DialogMessage" (
    "id" TEXT NOT NULL,
    "dialogPk" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DialogMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "generationId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "externalId" TEXT,
    "deliveredAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Series_workflowId_key" ON "Series"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "Series_tenantId_sessionId_key" ON "Series"("tenantId", "sessionId");

-- CreateIndex
CREATE UNIQUE INDEX "Dialog_tenantId_dialogId_key" ON "Dialog"("tenantId", "dialogId");

-- CreateIndex
CREATE UNIQUE INDEX "DialogMessage_dialogPk_number_key" ON "DialogMessage"("dialogPk", "number");

-- CreateIndex
CREATE UNIQUE INDEX "Delivery_generationId_channel_target_key" ON "Delivery"("generationId", "channel", "target");

-- CreateIndex
CREATE INDEX "Generation_tenantId_seriesId_idx" ON "Generation"("tenantId", "seriesId");

-- CreateIndex
CREATE INDEX "Generation_tenantId_dialogId_createdAt_idx" ON "Generation"("tenantId", "dialogId", "createdAt");

-- CreateIndex
CREATE INDEX "Generation_tenantId_cacheKey_idx" ON "Generation"("tenantId", "cacheKey");

-- AddForeignKey
ALTER TABLE "Series" ADD CONSTRAINT "Series_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Dialog" ADD CONSTRAINT "Dialog_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DialogMessage" ADD CONSTRAINT "DialogMessage_dialogPk_fkey" FOREIGN KEY ("dialogPk") REFERENCES "Dialog"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Delivery" ADD CONSTRAINT "Delivery_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Delivery" ADD CONSTRAINT "Delivery_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "Generation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "Tenant" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Tenant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Generation" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "agentId" TEXT,
    "userId" TEXT,
    "dialogId" TEXT,
    "conversationId" TEXT,
    "description" TEXT NOT NULL,
    "prompt" TEXT,
    "negativePrompt" TEXT,
    "persona" JSONB,
    "language" TEXT NOT NULL DEFAULT 'en',
    "seed" BIGINT,
    "width" INTEGER,
    "height" INTEGER,
    "template" TEXT,
    "workflowId" TEXT NOT NULL,
    "provider" TEXT,
    "instance" TEXT,
    "requestId" TEXT,
    "progressPercent" INTEGER NOT NULL DEFAULT 0,
    "progressStep" INTEGER,
    "progressOf" INTEGER,
    "queuePosition" INTEGER,
    "etaSeconds" INTEGER,
    "errorMessage" TEXT,
    "slotClaimedAt" TIMESTAMP(3),
    "slotReleasedAt" TIMESTAMP(3),
    "gpuMs" INTEGER,
    "waitingMessageId" TEXT,
    "completedMessageId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Generation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "generationId" TEXT,
    "agentId" TEXT,
    "userId" TEXT,
    "conversationId" TEXT,
    "role" TEXT NOT NULL DEFAULT 'assistant',
    "kind" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "metadata" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Image" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "generationId" TEXT NOT NULL,
    "outputIndex" INTEGER NOT NULL DEFAULT 0,
    "storageKey" TEXT NOT NULL,
    "thumbKey" TEXT NOT NULL,
    "contentType" TEXT NOT NULL DEFAULT 'image/webp',
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "thumbWidth" INTEGER NOT NULL,
    "thumbHeight" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "seed" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" BIGSERIAL NOT NULL,
    "tenantId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "generationId" TEXT,
    "agentId" TEXT,
    "userId" TEXT,
    "dialogId" TEXT,
    "taskId" TEXT,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Tenant_name_key" ON "Tenant"("name");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_keyHash_key" ON "ApiKey"("keyHash");

-- CreateIndex
CREATE INDEX "ApiKey_tenantId_idx" ON "ApiKey"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Generation_workflowId_key" ON "Generation"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "Generation_waitingMessageId_key" ON "Generation"("waitingMessageId");

-- CreateIndex
CREATE UNIQUE INDEX "Generation_completedMessageId_key" ON "Generation"("completedMessageId");

-- CreateIndex
CREATE INDEX "Generation_tenantId_agentId_userId_createdAt_idx" ON "Generation"("tenantId", "agentId", "userId", "createdAt");

-- CreateIndex
CREATE INDEX "Generation_tenantId_userId_status_createdAt_idx" ON "Generation"("tenantId", "userId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "Generation_instance_status_idx" ON "Generation"("instance", "status");

-- CreateIndex
CREATE INDEX "Message_tenantId_agentId_userId_createdAt_idx" ON "Message"("tenantId", "agentId", "userId", "createdAt");

-- CreateIndex
CREATE INDEX "Message_generationId_idx" ON "Message"("generationId");

-- CreateIndex
CREATE INDEX "Image_tenantId_idx" ON "Image"("tenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Image_generationId_outputIndex_key" ON "Image"("generationId", "outputIndex");

-- CreateIndex
CREATE INDEX "Event_generationId_id_idx" ON "Event"("generationId", "id");

-- CreateIndex
CREATE INDEX "Event_tenantId_id_idx" ON "Event"("tenantId", "id");

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Generation" ADD CONSTRAINT "Generation_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "Generation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "Generation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Event" ADD CONSTRAINT "Event_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

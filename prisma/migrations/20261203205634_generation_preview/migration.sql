-- CreateTable
CREATE TABLE "GenerationPreview" (
    "generationId" TEXT NOT NULL,
    "step" INTEGER,
    "of" INTEGER,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "bytes" BYTEA NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GenerationPreview_pkey" PRIMARY KEY ("generationId")
);

-- AddForeignKey
ALTER TABLE "GenerationPreview" ADD CONSTRAINT "GenerationPreview_generationId_fkey" FOREIGN KEY ("generationId") REFERENCES "Generation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

import { defineConfig } from "prisma/config";

// The CLI reads the connection from here (Prisma 7 no longer takes it from the schema).
// Run the CLI as `bun prisma/engine/prisma.ts <command>` where Prisma's engines cannot be
// downloaded (see prisma/engine/README.md).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/darkroom",
    // Where CREATE DATABASE is not allowed (managed servers), migrate dev/diff need a database to replay migrations on.
    ...(process.env.SHADOW_DATABASE_URL ? { shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL } : {}),
  },
});

/**
 * Runs the Prisma CLI with the Wasm stand-in schema engine (see schema-engine.ts for why), so
 * every command works without downloading Prisma's native engines:
 *
 *   bun prisma/engine/prisma.ts generate
 *   bun prisma/engine/prisma.ts migrate status
 *
 * An engine already named in PRISMA_SCHEMA_ENGINE_BINARY is respected.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

export function prismaCliEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    PRISMA_SCHEMA_ENGINE_BINARY: env.PRISMA_SCHEMA_ENGINE_BINARY || path.join(import.meta.dir, "schema-engine"),
    SCHEMA_ENGINE_BUN: env.SCHEMA_ENGINE_BUN || process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
  };
}

export const prismaCliPath = createRequire(import.meta.url).resolve("prisma/build/index.js");

/** Runs `prisma <args>` in the project root; returns its exit code, output and error output. */
export function runPrismaCli(args: string[], env: NodeJS.ProcessEnv = process.env, inherit = false) {
  const result = spawnSync(process.execPath, [prismaCliPath, ...args], {
    cwd: path.resolve(import.meta.dir, "../.."),
    env: prismaCliEnv(env),
    encoding: "utf8",
    stdio: inherit ? "inherit" : "pipe",
  });
  return { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
}

if (import.meta.main) process.exit(runPrismaCli(process.argv.slice(2), process.env, true).status);

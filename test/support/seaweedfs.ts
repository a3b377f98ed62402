/**
 * A real S3-compatible server for tests: SeaweedFS (`weed server` with its S3 gateway) on loopback
 * ports in a temp folder, one per test process, stopped and deleted when the process ends however it
 * ends. The binary is built by deploy/tools/build-seaweedfs.sh (CI always runs it); without it the
 * S3 tests fail and say how to build it, rather than skipping.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { freePort } from "../../lib/temporal/devServer";

const ROOT = path.resolve(import.meta.dir, "../..");

export interface SeaweedFs {
  /** The S3 endpoint, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  /** Environment for darkroom processes storing in `bucket` (the server accepts any credentials). */
  env(bucket: string, prefix?: string): Record<string, string>;
  /** A client for reading back what darkroom wrote. */
  client(): S3Client;
  stop(): Promise<void>;
}

export function findWeed(): string {
  const candidates = [process.env.SEAWEEDFS_BIN, path.join(ROOT, ".tools/seaweedfs/weed")].filter(Boolean) as string[];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(
      "The S3 storage tests run against a real SeaweedFS server, and its `weed` binary is not built. " +
        "Build it once with `deploy/tools/build-seaweedfs.sh` (needs Go; a few minutes; lands in .tools/seaweedfs/weed), " +
        "or point SEAWEEDFS_BIN at an existing `weed`.",
    );
  }
  return found;
}


const CREDENTIALS = { accessKeyId: "darkroom-test", secretAccessKey: "darkroom-test-secret" };

let shared: Promise<SeaweedFs> | undefined;

/** One SeaweedFS per test process. */
export function testSeaweedFs(): Promise<SeaweedFs> {
  shared ??= startSeaweedFs();
  return shared;
}

export async function startSeaweedFs(): Promise<SeaweedFs> {
  const weed = findWeed();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-weed-"));
  // Every port explicit, gRPC ones too: by default each gRPC port is its HTTP port + 10000, which
  // may be taken.
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await Promise.all(Array.from({ length: 8 }, freePort));
  const args = [
    "server",
    `-dir=${root}`,
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    // Small volumes: the default 30 GB limit makes the master refuse to grow volumes on a small disk.
    "-master.volumeSizeLimitMB=64",
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    // Every bucket is a collection that grows its own volumes (several at once): with a handful of
    // slots the fourth bucket of a test run could not be written. Volumes are sparse files.
    "-volume.max=200",
    "-filer",
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    "-s3",
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    // Side servers with fixed default ports that parallel runs would fight over; not needed here.
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-master.telemetry=false",
  ];
  const child = spawn(weed, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // A watchdog outside this process kills the server and deletes its folder once this process ends
  // in any way (its stdin reaches EOF): `bun test` runs no exit handlers, a killed process none at all.
  const watchdog = spawn("sh", ["-c", `read _ignored; kill -9 ${child.pid} 2>/dev/null; rm -rf '${root}'`], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void }).unref?.();

  const endpoint = `http://127.0.0.1:${s3}`;
  const client = () => new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: CREDENTIALS });
  await waitForS3(child, client(), () => output);
  return {
    endpoint,
    env: (bucket, prefix) => ({
      DARKROOM_STORAGE: `s3://${bucket}${prefix ? `/${prefix}` : ""}`,
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    client,
    stop: async () => {
      await stopChild(child);
      fs.rmSync(root, { recursive: true, force: true });
      watchdog.stdin?.end();
    },
  };
}

async function waitForS3(child: ChildProcess, client: S3Client, output: () => string): Promise<void> {
  let exited = false;
  child.once("exit", () => (exited = true));
  const deadline = Date.now() + 90_000;
  let last: unknown;
  try {
    while (Date.now() < deadline) {
      if (exited) throw new Error(`weed server exited early:\n${output().slice(-3000)}`);
      try {
        await client.send(new ListBucketsCommand({}));
        return;
      } catch (error) {
        last = error;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    client.destroy();
  }
  child.kill("SIGKILL");
  throw new Error(`SeaweedFS's S3 gateway did not answer within 90 s (${String(last)}):\n${output().slice(-3000)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

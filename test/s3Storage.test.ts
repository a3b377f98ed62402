/**
 * Images in an S3-compatible bucket, on a real server (SeaweedFS on loopback): the store itself, a
 * companion photo end to end with the bucket as storage, served with ETag and byte ranges, by a second
 * API with its own data folder, and by presigned redirect.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { start, type Running } from "../cli/runtime";
import { loadConfig, parseStorage } from "../lib/config";
import { freePort } from "../lib/temporal/devServer";
import { imageKeys, InvalidStorageKeyError, openImageStore } from "../lib/storage";
import { eventually, startStack, type Stack } from "./support/stack";
import { testSeaweedFs, type SeaweedFs } from "./support/seaweedfs";

setDefaultTimeout(180_000);

let weed: SeaweedFs;
let client: S3Client;
beforeAll(async () => {
  weed = await testSeaweedFs();
  client = weed.client();
});
afterAll(() => client?.destroy());

const bucketName = (what: string) => `darkroom-${what}-${Math.random().toString(36).slice(2, 8)}`;

async function objectBytes(bucket: string, key: string): Promise<Buffer<ArrayBuffer> | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray()) as Buffer<ArrayBuffer>;
  } catch {
    return undefined;
  }
}

describe("S3Store", () => {
  test("creates its bucket when several processes open it at once, and writes under the prefix", async () => {
    const bucket = bucketName("store");
    const settings = parseStorage(weed.env(bucket, "tenant-images"), "/unused");
    const stores = await Promise.all([openImageStore(settings), openImageStore(settings), openImageStore(settings)]);
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    const [a, b] = stores;

    const { full } = imageKeys("acme", "ab".repeat(32));
    const bytes = new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4]);
    expect(await a.has(full)).toBe(false);
    expect(await a.get(full)).toBeNull();
    await a.put(full, bytes, "image/webp");
    // Another process sees it: what makes several API and worker machines possible.
    expect(await b.has(full)).toBe(true);
    expect(Buffer.from((await b.get(full))!)).toEqual(Buffer.from(bytes));
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `tenant-images/${full}` }));
    expect(head.ContentType).toBe("image/webp");
    expect(head.ContentLength).toBe(bytes.byteLength);

    await b.delete(full);
    await b.delete(full); // deleting what is gone is fine
    expect(await a.has(full)).toBe(false);
    for (const s of stores) s.close?.();
  });

  test("refuses keys that would leave the store, like the local folder does", async () => {
    const store = await openImageStore(parseStorage(weed.env(bucketName("keys")), "/unused"));
    for (const key of ["../escape.webp", "/abs.webp", "a//b.webp", ".hidden", "a\\b"]) {
      await expect(store.put(key, new Uint8Array([1]), "image/webp")).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    }
    store.close?.();
  });

  test("an unreachable endpoint stops start-up with a message that names it", async () => {
    const port = await freePort();
    const env = { ...weed.env(bucketName("down")), S3_ENDPOINT: `http://127.0.0.1:${port}` };
    const error = await openImageStore(parseStorage(env, "/unused")).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`127.0.0.1:${port}`);
    expect(error?.message).toContain("S3_ENDPOINT");
  });
});

describe("a companion photo stored in S3", () => {
  let stack: Stack;
  const others: Running[] = [];
  const otherDirs: string[] = [];
  beforeAll(async () => {
    stack = await startStack({ instances: 1, storage: "s3", env: { DARKROOM_URL_SECRET: "s3-test-url-secret-0123456789abcdef" } });
  });
  afterAll(async () => {
    for (const r of others) await r.stop();
    await stack?.stop();
    for (const d of otherDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Another API process's worth of roles: its own data folder and port, the same database and bucket. */
  async function anotherApi(extra: Record<string, string> = {}): Promise<Running> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "darkroom-api2-"));
    otherDirs.push(dataDir);
    const port = await freePort();
    const running = await start(loadConfig({ ...stack.env, DARKROOM_DATA_DIR: dataDir, PORT: String(port), DARKROOM_PUBLIC_URL: `http://127.0.0.1:${port}`, ...extra }), {
      api: true,
    });
    others.push(running);
    return running;
  }

  /** The same signed URL, asked of another API process. */
  const via = (url: string, api: string) => {
    const u = new URL(url);
    return `${api}${u.pathname}${u.search}`;
  };

  test("the image lands in the bucket and is served with ETag and byte ranges, by either API", async () => {
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", {
      userId: "s3-user",
      text: "¡Claro! [IMAGE: selfie en la playa]",
      persona: { name: "Sofia", personality: "alegre", language: "es" },
    });
    expect(reply.status).toBe(200);
    const id = reply.body.generations[0].id;
    const done = await eventually(async () => {
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed"].includes(g?.status) ? g : undefined;
    }, "the photo");
    expect({ status: done.status, error: done.errorMessage }).toEqual({ status: "completed", error: undefined });
    const image = done.images[0];

    // In the bucket under the configured prefix, and nowhere in the data folder.
    const row = await stack.db.prisma.image.findUniqueOrThrow({ where: { id: image.id } });
    const inBucket = await objectBytes(stack.s3!.bucket, `${stack.s3!.prefix}/${row.storageKey}`);
    expect(inBucket?.byteLength).toBeGreaterThan(100);
    expect(await objectBytes(stack.s3!.bucket, `${stack.s3!.prefix}/${row.thumbKey}`)).toBeDefined();
    expect(fs.existsSync(path.join(stack.config.dataDir, "images"))).toBe(false);

    // Served through the API: the same bytes, an ETag, 304 on revalidation.
    const whole = await fetch(image.url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("image/webp");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    const etag = whole.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}-full"$/);
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(inBucket!);
    expect((await fetch(image.url, { headers: { "if-none-match": etag } })).status).toBe(304);

    // Byte ranges: a resumed download and a "last n bytes" read get exactly those bytes.
    const size = inBucket!.byteLength;
    const part = await fetch(image.url, { headers: { range: "bytes=10-99" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-99/${size}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(Buffer.from(inBucket!.subarray(10, 100)));
    const tail = await fetch(image.url, { headers: { range: "bytes=-16" } });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(Buffer.from(inBucket!.subarray(size - 16)));
    const beyond = await fetch(image.url, { headers: { range: `bytes=${size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${size}`);
    // A range for an older version of the file (If-Range with another ETag) gets the whole image.
    const stale = await fetch(image.url, { headers: { range: "bytes=0-9", "if-range": '"0000-full"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(size);

    // A second API with its own, empty data folder serves the same image from the bucket.
    const second = await anotherApi();
    const viaSecond = await fetch(via(image.url, second.apiUrl!));
    expect(viaSecond.status).toBe(200);
    expect(viaSecond.headers.get("etag")).toBe(etag);
    expect(Buffer.from(await viaSecond.arrayBuffer())).toEqual(inBucket!);
    const ranged = await fetch(`${second.apiUrl}/v1/images/${image.id}?variant=full`, { headers: { authorization: `Bearer ${stack.key}`, range: "bytes=0-3" } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).toString("latin1")).toBe("RIFF");

    // With S3_PRESIGN the API checks access, then redirects to the bucket.
    const presigning = await anotherApi({ S3_PRESIGN: "1" });
    const redirect = await fetch(via(image.url, presigning.apiUrl!), { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get("location")!;
    expect(location.startsWith(`${weed.endpoint}/${stack.s3!.bucket}/${stack.s3!.prefix}/`)).toBe(true);
    expect(location).toContain("X-Amz-Signature=");
    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    expect(Buffer.from(await direct.arrayBuffer())).toEqual(inBucket!);
    const forged = await fetch(via(image.url, presigning.apiUrl!).replace(/sig=[^&]+/, "sig=forged"), { redirect: "manual" });
    expect(forged.status).toBe(401);
  });
});

describe("workers on Node", () => {
  let stack: Stack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startStack({ instances: 1, storage: "s3", mainWorker: false });
  });
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await stack?.stop();
  });

  // The reason the store uses the AWS SDK rather than Bun's own client: the main worker, which writes
  // the images, may run on Node.
  test("a main worker running on Node writes the photo into the bucket", async () => {
    const child = spawn("node", ["--import", "tsx", "cli/darkroom.ts", "worker"], {
      cwd: path.resolve(import.meta.dir, ".."),
      env: { ...process.env, ...stack.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout?.on("data", (d) => (output += d));
    child.stderr?.on("data", (d) => (output += d));
    const reply = await stack.request("POST", "/v1/agents/sofia/replies", {
      userId: "node-s3",
      text: "¡Va! [IMAGE: selfie en la montaña]",
      persona: { name: "Sofia", personality: "alegre", language: "es" },
    });
    expect(reply.status).toBe(200);
    const id = reply.body.generations[0].id;
    const done = await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the Node worker exited (${child.exitCode}):\n${output.slice(-3000)}`);
      const g = (await stack.request("GET", `/v1/generations/${id}`)).body;
      return ["completed", "failed"].includes(g?.status) ? g : undefined;
    }, "the photo", 120_000);
    expect({ status: done.status, error: done.errorMessage }).toEqual({ status: "completed", error: undefined });
    const row = await stack.db.prisma.image.findUniqueOrThrow({ where: { id: done.images[0].id } });
    const inBucket = await objectBytes(stack.s3!.bucket, `${stack.s3!.prefix}/${row.storageKey}`);
    const served = await fetch(done.images[0].url);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(inBucket!);
  });
});

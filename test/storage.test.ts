import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseStorage } from "../lib/config";
import { imageKeys, InvalidStorageKeyError, LocalFolderStore } from "../lib/storage";

let root: string;
let store: LocalFolderStore;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "darkroom-store-"));
  store = new LocalFolderStore(root);
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

const sha = "ab".repeat(32);

describe("imageKeys", () => {
  test("are content-addressed per tenant", () => {
    expect(imageKeys("tenant_1", sha)).toEqual({ full: `tenant_1/ab/${sha}.webp`, thumb: `tenant_1/ab/${sha}.thumb.webp` });
    expect(imageKeys("other", sha).full).not.toBe(imageKeys("tenant_1", sha).full);
  });

  test("refuse tenant ids and hashes that could shape a path", () => {
    expect(() => imageKeys("../evil", sha)).toThrow(InvalidStorageKeyError);
    expect(() => imageKeys("t", "../../etc/passwd")).toThrow(/not a lowercase hex SHA-256/);
  });
});

describe("LocalFolderStore", () => {
  test("round trip: put, has, get, delete; folders created as needed", async () => {
    const { full } = imageKeys("t1", sha);
    const bytes = new Uint8Array([1, 2, 3, 255, 0, 42]);
    expect(await store.has(full)).toBe(false);
    expect(await store.get(full)).toBeNull();
    await store.put(full, bytes, "image/webp");
    expect(await store.has(full)).toBe(true);
    expect(Array.from((await store.get(full))!)).toEqual(Array.from(bytes));
    await store.delete(full);
    expect(await store.has(full)).toBe(false);
    expect(await store.get(full)).toBeNull();
    // Deleting what is already gone is fine.
    await store.delete(full);
  });

  test("a writer killed mid-write never leaves a partial image under a key", async () => {
    const dir = path.join(root, "crash");
    const size = 8 * 1024 * 1024;
    // A separate process keeps writing 8 MiB images; we kill it hard while it is busy.
    const writer = Bun.spawn(
      [
        process.execPath,
        "-e",
        `const { LocalFolderStore } = await import(${JSON.stringify(path.resolve(import.meta.dir, "../lib/storage"))});
         const store = new LocalFolderStore(${JSON.stringify(dir)});
         for (let i = 0; ; i++) await store.put("t/img" + i + ".webp", new Uint8Array(${size}).fill(i % 250 + 1), "image/webp");`,
      ],
      { stdout: "ignore", stderr: "inherit" },
    );
    const store = new LocalFolderStore(dir);
    while (!(await store.has("t/img2.webp"))) await Bun.sleep(5);
    writer.kill("SIGKILL");
    await writer.exited;

    const names = (await readdir(path.join(dir, "t"))).filter((n) => !n.startsWith("."));
    expect(names.length).toBeGreaterThanOrEqual(3);
    for (const name of names) {
      const bytes = (await store.get(`t/${name}`))!;
      expect(bytes.byteLength).toBe(size);
      expect(bytes[size - 1]).toBe(bytes[0]!);
    }
  });

  test("an overwrite replaces the whole image and leaves no temp files behind", async () => {
    const key = "t2/again.webp";
    await store.put(key, new Uint8Array(1000).fill(1), "image/webp");
    await store.put(key, new Uint8Array(10).fill(2), "image/webp");
    expect(Array.from((await store.get(key))!)).toEqual(new Array(10).fill(2));
    expect(await filesUnder(path.join(root, "t2"))).toEqual(["again.webp"]);
  });

  test("keys that could leave the store are refused with a clear error, and nothing is written", async () => {
    const bad = ["../escape.webp", "t/../../escape.webp", "/etc/passwd", "t\\..\\x.webp", "t/a\0b.webp", "", "t//x.webp", "t/.hidden", "C:/x.webp"];
    for (const key of bad) {
      await expect(store.put(key, new Uint8Array([1]), "image/webp")).rejects.toBeInstanceOf(InvalidStorageKeyError);
      await expect(store.get(key)).rejects.toBeInstanceOf(InvalidStorageKeyError);
    }
    await expect(store.put("../escape.webp", new Uint8Array([1]), "image/webp")).rejects.toThrow(/could leave the store/);
    expect(await readdir(path.dirname(root))).not.toContain("escape.webp");
  });
});

describe("DARKROOM_STORAGE", () => {
  test("unset or file:// is a local folder; s3:// a bucket and prefix with the S3_* settings", () => {
    expect(parseStorage({}, "/srv/darkroom")).toEqual({ kind: "local", dir: "/srv/darkroom/images" });
    expect(parseStorage({ DARKROOM_STORAGE: "file:///mnt/images" }, "/srv")).toEqual({ kind: "local", dir: "/mnt/images" });
    expect(
      parseStorage(
        { DARKROOM_STORAGE: "s3://chat-images/prod/", S3_ENDPOINT: "http://minio:9000/", S3_ACCESS_KEY_ID: "id", S3_SECRET_ACCESS_KEY: "secret", S3_PRESIGN: "1" },
        "/srv",
      ),
    ).toEqual({
      kind: "s3",
      bucket: "chat-images",
      prefix: "prod",
      endpoint: "http://minio:9000",
      region: "us-east-1",
      accessKeyId: "id",
      secretAccessKey: "secret",
      sessionToken: undefined,
      forcePathStyle: true,
      presign: true,
      presignExpiresS: 3600,
    });
  });

  test("an AWS environment works as it is: AWS_* names, virtual-hosted style, the default credential chain", () => {
    const s3 = parseStorage({ DARKROOM_STORAGE: "s3://chat-images", AWS_REGION: "eu-west-1" }, "/srv");
    expect(s3).toMatchObject({ kind: "s3", bucket: "chat-images", prefix: "", endpoint: undefined, region: "eu-west-1", forcePathStyle: false, presign: false });
    expect(s3).toMatchObject({ accessKeyId: undefined, secretAccessKey: undefined });
  });

  test("mistakes are refused at start with what to write instead", () => {
    const refuse = (env: Record<string, string>) => expect(() => parseStorage(env, "/srv"));
    refuse({ DARKROOM_STORAGE: "gs://bucket" }).toThrow(/s3:\/\/ or file:\/\//);
    refuse({ DARKROOM_STORAGE: "s3://Bad_Bucket" }).toThrow(/not a valid bucket name/);
    refuse({ DARKROOM_STORAGE: "s3://user:pw@bucket" }).toThrow(/S3_\* variables/);
    refuse({ DARKROOM_STORAGE: "s3://bucket", S3_ACCESS_KEY_ID: "only-the-id" }).toThrow(/go together/);
    refuse({ DARKROOM_STORAGE: "s3://bucket", S3_ENDPOINT: "minio:9000" }).toThrow(/S3_ENDPOINT must be a URL/);
    refuse({ DARKROOM_STORAGE: "s3://bucket", S3_PRESIGN: "maybe" }).toThrow(/S3_PRESIGN must be true or false/);
  });
});

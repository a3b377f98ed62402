/**
 * Where finished images live. Keys are content-addressed (`tenant/ab/<sha256>.webp`), so writing the
 * same picture twice is harmless and a key never changes meaning. Writes go to a temp file that is
 * renamed into place, so a reader or a crash never sees half an image.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { StorageSettings } from "../config";

export interface ImageStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | null>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Set by stores whose objects clients can fetch directly (S3 with S3_PRESIGN): a short-lived URL. */
  presignedUrl?: (key: string) => Promise<string>;
  /** Releases connections (if any) when the process stops. */
  close?(): void;
}

/**
 * The store the configuration names: the local folder by default, or an S3-compatible bucket (created
 * if missing). The S3 client is loaded only when used, so a local set-up never pays for it.
 */
export async function openImageStore(settings: StorageSettings): Promise<ImageStore> {
  if (settings.kind === "local") return new LocalFolderStore(settings.dir);
  const { S3Store } = await import("./s3");
  const store = new S3Store(settings);
  try {
    await store.ensureBucket();
  } catch (error) {
    store.close();
    throw error;
  }
  return store;
}

export class InvalidStorageKeyError extends Error {
  override readonly name = "InvalidStorageKeyError";
}

const MAX_KEY_LENGTH = 512;
/** Each path segment: letters, digits, `.`, `_`, `-`; not starting with a dot (no `..`, no hidden or temp files). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/u;

/** Throws InvalidStorageKeyError unless `key` is a relative, slash-separated path that stays inside the store. */
export function assertValidKey(key: string): void {
  const refuse = (why: string) => {
    throw new InvalidStorageKeyError(`Storage key ${JSON.stringify(key.slice(0, 100))} is not allowed: ${why}.`);
  };
  if (typeof key !== "string" || key.length === 0) refuse("it is empty");
  if (key.length > MAX_KEY_LENGTH) refuse(`it is longer than ${MAX_KEY_LENGTH} characters`);
  if (key.includes("\0")) refuse("it contains a NUL character");
  if (key.includes("\\")) refuse("it contains a backslash; use / between folders");
  if (key.startsWith("/") || /^[A-Za-z]:/u.test(key)) refuse("it is absolute; keys are relative to the store");
  for (const segment of key.split("/")) {
    if (segment === "") refuse("it has an empty folder name (// or a trailing /)");
    if (segment === "." || segment === "..") refuse("it contains . or .. and could leave the store");
    if (!SEGMENT.test(segment)) refuse(`the part "${segment}" may only use letters, digits, ., _ and - and must not start with a dot`);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/u;
const TENANT_ID = /^[A-Za-z0-9_-]{1,100}$/u;

/** Content-addressed keys for an image and its thumbnail; a two-character fan-out keeps folders small. */
export function imageKeys(tenantId: string, sha256: string): { full: string; thumb: string } {
  if (!TENANT_ID.test(tenantId)) throw new InvalidStorageKeyError(`Tenant id ${JSON.stringify(tenantId)} may only use letters, digits, _ and - (1–100).`);
  if (!SHA256_HEX.test(sha256)) throw new InvalidStorageKeyError(`"${sha256}" is not a lowercase hex SHA-256.`);
  const folder = `${tenantId}/${sha256.slice(0, 2)}`;
  return { full: `${folder}/${sha256}.webp`, thumb: `${folder}/${sha256}.thumb.webp` };
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === "ENOENT";
}

export class LocalFolderStore implements ImageStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async put(key: string, bytes: Uint8Array, _contentType: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    // Same folder as the target so the rename stays on one filesystem and is atomic; the leading dot
    // keeps temp names outside the key space.
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    const file = await open(temp, "wx");
    try {
      await file.writeFile(bytes);
      // Flush before the rename: otherwise a power loss could leave the new name pointing at empty data.
      await file.sync();
    } catch (error) {
      await file.close().catch(() => {});
      await rm(temp, { force: true });
      throw error;
    }
    await file.close();
    try {
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}

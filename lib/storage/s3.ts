/**
 * Images in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, R2, …), so API and worker processes
 * on different machines see the same pictures. Same content-addressed keys and key rules as the
 * local folder; a PUT is atomic on S3, so readers never see half an image either.
 *
 * The AWS SDK v3 rather than Bun's built-in client: the workers also run on Node, and the main worker
 * is the one that writes images, so the store has to work the same under both runtimes.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { StorageSettings } from "../config";
import { assertValidKey, type ImageStore } from "./index";

export type S3Settings = Extract<StorageSettings, { kind: "s3" }>;

/** Stored objects never change (content-addressed), so whoever fetches them may cache them for good. */
const IMMUTABLE = "private, max-age=31536000, immutable";

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | null)?.$metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  const e = error as SdkError | null;
  return e?.name ?? e?.Code ?? e?.code ?? "Error";
}

function isNotFound(error: unknown): boolean {
  const name = nameOf(error);
  return statusOf(error) === 404 || name === "NoSuchKey" || name === "NotFound" || name === "NoSuchBucket";
}

export class S3Store implements ImageStore {
  readonly settings: S3Settings;
  readonly client: S3Client;
  /**
   * A presigned GET URL for the object; only when S3_PRESIGN is on, so clients fetch the bytes from
   * the bucket and the API only redirects. Signing is local: no request to S3.
   */
  readonly presignedUrl?: (key: string) => Promise<string>;

  constructor(settings: S3Settings, client?: S3Client) {
    if (settings.prefix) assertValidKey(settings.prefix);
    this.settings = settings;
    this.client =
      client ??
      new S3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        forcePathStyle: settings.forcePathStyle,
        credentials:
          settings.accessKeyId && settings.secretAccessKey
            ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, sessionToken: settings.sessionToken }
            : undefined,
        // The SDK's newer default adds CRC checksums (and aws-chunked bodies) to every request, which
        // several S3-compatible servers reject; checksums only where S3 requires them.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
    if (settings.presign) {
      this.presignedUrl = (key) =>
        getSignedUrl(this.client, new GetObjectCommand({ Bucket: settings.bucket, Key: this.objectKey(key) }), { expiresIn: settings.presignExpiresS });
    }
  }

  /** Where this store keeps things, for messages: `s3://bucket/prefix at http://endpoint`. */
  get location(): string {
    const where = `s3://${this.settings.bucket}${this.settings.prefix ? `/${this.settings.prefix}` : ""}`;
    return this.settings.endpoint ? `${where} at ${this.settings.endpoint}` : `${where} (AWS, ${this.settings.region})`;
  }

  /** The object key for a store key: the key under the configured prefix. */
  objectKey(key: string): string {
    assertValidKey(key);
    return this.settings.prefix ? `${this.settings.prefix}/${key}` : key;
  }

  private fail(action: string, key: string | undefined, error: unknown): never {
    const target = key === undefined ? this.location : `${key} in ${this.location}`;
    const status = statusOf(error);
    let hint = "";
    if (status === 403) hint = " Check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY and that they may use this bucket.";
    else if (status === 301 || nameOf(error) === "PermanentRedirect") hint = " The bucket lives in another region: set S3_REGION.";
    else if (status === undefined) hint = " Is S3_ENDPOINT right and the server up?";
    throw new Error(`S3: could not ${action} ${target}: ${nameOf(error)}${status ? ` (HTTP ${status})` : ""}: ${(error as SdkError)?.message ?? String(error)}.${hint}`, {
      cause: error,
    });
  }

  /**
   * Creates the bucket if it does not exist. Idempotent and safe when several processes start at
   * once: losing the race to create it counts as success once the bucket answers.
   */
  async ensureBucket(): Promise<void> {
    const Bucket = this.settings.bucket;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) this.fail("reach the bucket", undefined, error);
    }
    try {
      // Outside us-east-1, AWS wants the region restated; S3-compatible servers ignore or reject it.
      const location = !this.settings.endpoint && this.settings.region !== "us-east-1" ? this.settings.region : undefined;
      await this.client.send(
        new CreateBucketCommand({
          Bucket,
          ...(location ? { CreateBucketConfiguration: { LocationConstraint: location as BucketLocationConstraint } } : {}),
        }),
      );
    } catch (error) {
      const name = nameOf(error);
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists" && statusOf(error) !== 409) this.fail("create the bucket", undefined, error);
      // Someone else made it meanwhile (another darkroom process, or another account's bucket of
      // that name, which the check below tells apart).
      try {
        await this.client.send(new HeadBucketCommand({ Bucket }));
      } catch (again) {
        this.fail("use the bucket (its name is taken?)", undefined, again);
      }
    }
  }

  async put(key: string, bytes: Uint8Array, contentType: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key, Body: bytes, ContentType: contentType, CacheControl: IMMUTABLE }));
    } catch (error) {
      this.fail("write", key, error);
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key }));
      if (!out.Body) return new Uint8Array();
      return await out.Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error) && nameOf(error) !== "NoSuchBucket") return null;
      this.fail("read", key, error);
    }
  }

  async has(key: string): Promise<boolean> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key }));
      return true;
    } catch (error) {
      if (isNotFound(error) && nameOf(error) !== "NoSuchBucket") return false;
      this.fail("look up", key, error);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key }));
    } catch (error) {
      if (isNotFound(error) && nameOf(error) !== "NoSuchBucket") return;
      this.fail("delete", key, error);
    }
  }

  close(): void {
    this.client.destroy();
  }
}

import { ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type ConfigLocation, ConfigReader, type StoredConfig, storeRequest } from './reader.ts';

export {
  type ConfigLocation,
  ConfigStoreError,
  DEFAULT_CONFIG_KEY,
  type StoredConfig,
} from './reader.ts';

export interface ConfigVersion {
  versionId: string;
  lastModified: Date | undefined;
  isLatest: boolean;
  size: number | undefined;
}

/**
 * The drill configuration as one JSON object in a versioned S3 bucket: each push is a new
 * version, kept, so an earlier configuration can be read back or restored.
 */
export class S3ConfigStore {
  readonly location: ConfigLocation;
  private readonly client: S3Client;

  constructor(location: ConfigLocation, client: S3Client = new S3Client({})) {
    this.location = location;
    this.client = client;
  }

  /** Stores `text` (a configuration, as written) as the new current version. */
  async push(text: string): Promise<{ versionId: string | undefined }> {
    const { bucket, key } = this.location;
    const put = await this.request(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
        }),
      ),
    );
    return { versionId: put.VersionId };
  }

  /** The current configuration, or the version `versionId` names. */
  read(versionId?: string): Promise<StoredConfig> {
    return new ConfigReader(this.location, this.client).read(versionId);
  }

  /** The stored versions of the configuration, newest first, at most `limit`. */
  async versions(limit = 20): Promise<ConfigVersion[]> {
    const { bucket, key } = this.location;
    const found: ConfigVersion[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.request(() =>
        this.client.send(
          new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, ...markers }),
        ),
      );
      // The prefix also matches longer keys (config.json.bak): only this key's versions count.
      for (const version of page.Versions ?? []) {
        if (version.Key !== key || !version.VersionId) continue;
        found.push({
          versionId: version.VersionId,
          lastModified: version.LastModified,
          isLatest: version.IsLatest ?? false,
          size: version.Size,
        });
        if (found.length >= limit) return found;
      }
      if (!page.IsTruncated) return found;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  private request<T>(send: () => Promise<T>): Promise<T> {
    return storeRequest(this.location, send);
  }
}

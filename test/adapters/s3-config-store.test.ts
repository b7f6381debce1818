import 'aws-sdk-client-mock-vitest/extend';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { StoredTargets } from '#adapters/config-store/catalog.ts';
import { DEFAULT_CONFIG_KEY, S3ConfigStore } from '#adapters/config-store/s3.ts';

const s3 = mockClient(S3Client);
afterAll(() => s3.restore());
beforeEach(() => s3.reset());

const location = { bucket: 'restore-drill-config-a1b2c3', key: DEFAULT_CONFIG_KEY };
const store = () => new S3ConfigStore(location, new S3Client({}));

describe('S3ConfigStore', () => {
  it('pushes the text as a JSON object and returns its version', async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: 'v7' });
    expect(await store().push('{"targets": []}')).toEqual({ versionId: 'v7' });
    expect(s3).toHaveReceivedCommandExactlyOnceWith(PutObjectCommand, {
      Bucket: location.bucket,
      Key: 'restore-drill/config.json',
      Body: '{"targets": []}',
      ContentType: 'application/json',
    });
  });

  it('reads the current text, or a given version, with its version and date', async () => {
    const modified = new Date('2026-03-01T12:00:00Z');
    s3.on(GetObjectCommand).resolves({
      Body: { transformToString: async () => '{"targets": []}\n' } as never,
      VersionId: 'v6',
      LastModified: modified,
    });
    expect(await store().read('v6')).toEqual({
      text: '{"targets": []}\n',
      versionId: 'v6',
      lastModified: modified,
    });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { VersionId: 'v6' });
  });

  it('stops listing versions once it has as many as asked', async () => {
    const versions = Array.from({ length: 5 }, (_, i) => ({
      Key: location.key,
      VersionId: `v${5 - i}`,
      IsLatest: i === 0,
      LastModified: new Date(Date.UTC(2026, 2, 5 - i)),
    }));
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: versions,
      IsTruncated: true,
      NextKeyMarker: location.key,
      NextVersionIdMarker: 'v1',
    });
    const listed = await store().versions(3);
    expect(listed.map((v) => [v.versionId, v.isLatest])).toEqual([
      ['v5', true],
      ['v4', false],
      ['v3', false],
    ]);
    expect(s3).toHaveReceivedCommandTimes(ListObjectVersionsCommand, 1);
  });
});

describe('StoredTargets', () => {
  const stored = (text: string) => {
    s3.on(GetObjectCommand).resolves({
      VersionId: 'v3',
      Body: { transformToString: async () => text } as never,
    });
    return new StoredTargets(store());
  };

  it('reads the targets of the current configuration, defaults filled in', async () => {
    const targets = await stored(
      JSON.stringify({
        targets: [{ name: 'orders', engine: 'postgres', source: { instance: 'orders-prod' } }],
      }),
    ).targets();

    expect(targets).toMatchObject([
      {
        name: 'orders',
        recoveryPoint: { mode: 'new-snapshot' },
        restore: { credentials: 'managed' },
      },
    ]);
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: location.bucket,
      Key: location.key,
    });
  });

  it('names the object and its version when what is stored is not a valid configuration', async () => {
    await expect(stored('{"targets": [{"name": "Bad"}]}').targets()).rejects.toThrow(
      /the stored configuration s3:\/\/restore-drill-config-a1b2c3\/restore-drill\/config.json \(version v3\) is invalid:\n\s+targets\[0\]\.name/,
    );
    await expect(stored('{"targets": [').targets()).rejects.toThrow(/is not valid JSON/);
  });
});

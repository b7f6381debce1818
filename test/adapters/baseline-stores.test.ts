import 'aws-sdk-client-mock-vitest/extend';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBaselineStore } from '#adapters/baselines/files.ts';
import { BASELINE_PREFIX, S3BaselineStore } from '#adapters/baselines/s3.ts';
import { type Baseline, LAST_COPY } from '#core/baseline.ts';

const baseline: Baseline = {
  from: 'source',
  takenAt: '2026-11-23T03:00:00.000Z',
  drillId: 'drill-orders-20261123t0300-a1b2c3',
  tables: { 'public.orders': 120_000, 'public.customers': 4_000, 'public.audit': null },
};

/** The error a load fails with: a load that does not fail fails the test. */
const failure = (loading: Promise<unknown>): Promise<Error> =>
  loading.then(
    () => expect.unreachable('loaded'),
    (error: unknown) => error as Error,
  );

/** A GetObject answer whose body reads as `text`. */
const body = (text: string) => ({ Body: { transformToString: async () => text } as never });

describe('S3BaselineStore', () => {
  const s3 = mockClient(S3Client);
  afterAll(() => s3.restore());
  beforeEach(() => s3.reset());

  const BUCKET = 'restore-drill-config-a1b2c3';
  const KEY = 'restore-drill/baselines/orders/drill-orders-20261123t0300-a1b2c3.json';
  const store = () => new S3BaselineStore(BUCKET, new S3Client({ region: 'eu-west-1' }));

  it('saves a baseline as a JSON object beside the configuration', async () => {
    s3.on(PutObjectCommand).resolves({});

    await store().save('orders', baseline.drillId, baseline);

    expect(BASELINE_PREFIX).toBe('restore-drill/baselines/');
    expect(s3).toHaveReceivedCommandExactlyOnceWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: KEY,
      Body: JSON.stringify(baseline),
      ContentType: 'application/json',
    });
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 1);
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('loads what it saved, from the same object', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store().save('orders', LAST_COPY, baseline);
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: put?.Key }).resolves(body(String(put?.Body)));

    expect(await store().load('orders', LAST_COPY)).toEqual(baseline);
    expect(put?.Key).toBe('restore-drill/baselines/orders/last-copy.json');
    expect(s3).toHaveReceivedCommandExactlyOnceWith(GetObjectCommand, {
      Bucket: BUCKET,
      Key: 'restore-drill/baselines/orders/last-copy.json',
    });
  });

  it('loads nothing where no object is kept', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }),
    );

    expect(await store().load('orders', LAST_COPY)).toBeUndefined();
  });

  it('passes on any other error, such as a denied read', async () => {
    const denied = new S3ServiceException({
      name: 'AccessDenied',
      message: 'Access Denied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
    });
    s3.on(GetObjectCommand).rejects(denied);

    await expect(store().load('orders', LAST_COPY)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: 'Access Denied',
    });
  });

  it('names the object when what is stored is not a baseline', async () => {
    const where = 's3://restore-drill-config-a1b2c3/restore-drill/baselines/orders/last-copy.json';
    s3.on(GetObjectCommand).resolves(body('{"from": "source", "tables": ['));
    await expect(store().load('orders', LAST_COPY)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(`baseline ${where} is not valid JSON`),
    });

    s3.on(GetObjectCommand).resolves(
      body(JSON.stringify({ ...baseline, from: 'elsewhere', tables: { orders: 'many' } })),
    );
    const error = await failure(store().load('orders', LAST_COPY));
    expect(error).toMatchObject({ name: 'ConfigError' });
    expect(error.message).toMatch(
      new RegExp(`^baseline ${where.replaceAll(/[./]/g, '\\$&')} is invalid:\\n`),
    );
    expect(error.message).toMatch(/from/);
    expect(error.message).toMatch(/tables/);
  });
});

describe('FileBaselineStore', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restore-drill-baselines-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves a baseline as a JSON file under the target, and loads it back', async () => {
    const store = new FileBaselineStore(dir);

    await store.save('orders', LAST_COPY, baseline);

    const path = join(dir, 'orders', 'last-copy.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(baseline);
    expect(await new FileBaselineStore(dir).load('orders', LAST_COPY)).toEqual(baseline);
  });

  it('replaces a baseline whole, leaving no temporary file behind', async () => {
    const store = new FileBaselineStore(dir);
    await store.save('orders', LAST_COPY, baseline);
    const later = { ...baseline, from: 'copy' as const, tables: { 'public.orders': 130_000 } };

    await store.save('orders', LAST_COPY, later);

    expect(await readdir(join(dir, 'orders'))).toEqual(['last-copy.json']);
    expect(await readdir(dir)).toEqual(['orders']);
    expect(await store.load('orders', LAST_COPY)).toEqual(later);
  });

  it('loads nothing where no file is kept', async () => {
    const store = new FileBaselineStore(dir);
    expect(await store.load('orders', LAST_COPY)).toBeUndefined();
    await store.save('orders', LAST_COPY, baseline);
    expect(await store.load('orders', baseline.drillId)).toBeUndefined();
    expect(await store.load('customers', LAST_COPY)).toBeUndefined();
  });

  it('names the file when what is kept there is not a baseline', async () => {
    const store = new FileBaselineStore(dir);
    await store.save('orders', LAST_COPY, baseline);
    const path = join(dir, 'orders', 'last-copy.json');

    await writeFile(path, '{"from": "source", "tables": [');
    await expect(store.load('orders', LAST_COPY)).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining(`baseline ${path} is not valid JSON`),
    });

    await writeFile(path, JSON.stringify({ ...baseline, takenAt: 'last night' }));
    const error = await failure(store.load('orders', LAST_COPY));
    expect(error).toMatchObject({ name: 'ConfigError' });
    expect(error.message).toContain(`baseline ${path} is invalid:`);
    expect(error.message).toMatch(/takenAt/);
  });
});

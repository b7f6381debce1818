import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stepNames } from '#core/state.ts';
import { buildFunctions, functionNames } from '../scripts/build-functions.ts';
import { eventFor, kebabCase } from './fixtures/events.ts';

const run = promisify(execFile);

/**
 * Loads a bundle in a fresh Node process, as Lambda does (plain ESM, no test runner in between),
 * invokes its handler once and prints what came back or what was thrown.
 */
const invokeScript = `
const { handler } = await import(process.env.BUNDLE);
const context = { functionName: 'bundle-test', awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 60000 };
try {
  const result = await handler(JSON.parse(process.env.EVENT), context);
  console.log(JSON.stringify({ exported: typeof handler, result }));
} catch (error) {
  console.log(JSON.stringify({ exported: typeof handler, error: { name: error.name, message: error.message } }));
}`;

async function invokeBundle(file: string, event: unknown, extraEnv: Record<string, string> = {}) {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', invokeScript], {
    env: {
      ...extraEnv,
      PATH: process.env.PATH,
      BUNDLE: file,
      EVENT: JSON.stringify(event),
      REPORT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:restore-drill-reports',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as {
    exported: string;
    result?: { drillId: string };
    error?: { name: string; message: string };
  };
}

describe('build-functions', () => {
  let outDir: string;
  let files: string[];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'restore-drill-build-'));
    files = await buildFunctions(outDir);
  }, 60_000);
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it("finds one function per Task state of the workflow, and the schedule's ListTargets", () => {
    expect(functionNames()).toEqual([...stepNames.map(kebabCase), 'list-targets'].sort());
  });

  it('writes dist/<name>/index.mjs and its source map for every function', () => {
    expect(files).toEqual(functionNames().map((name) => join(outDir, name, 'index.mjs')));
    for (const file of files) {
      expect(existsSync(file)).toBe(true);
      expect(existsSync(`${file}.map`)).toBe(true);
    }
  });

  it('produces a StartDrill bundle that plain Node loads and runs', async () => {
    const outcome = await invokeBundle(
      join(outDir, 'start-drill', 'index.mjs'),
      eventFor('StartDrill'),
    );

    expect(outcome.exported).toBe('function');
    expect(outcome.result?.drillId).toMatch(/^drill-orders-db-\d{8}t\d{4}-[0-9a-f]{6}$/);
  });

  it('calls RDS where AWS_ENDPOINT_URL points, and keeps error names through minification', async () => {
    // An RDS endpoint on 127.0.0.1 that knows no instance, answering as RDS's query API does.
    const requests: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        requests.push(body);
        response.writeHead(404, { 'content-type': 'text/xml' });
        response.end(
          '<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance orders-prod not found.</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
        );
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const { port } = server.address() as AddressInfo;
    try {
      const outcome = await invokeBundle(
        join(outDir, 'take-snapshot', 'index.mjs'),
        eventFor('TakeSnapshot'),
        {
          AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'example',
          POWERTOOLS_TRACE_ENABLED: 'false',
        },
      );

      expect(outcome.exported).toBe('function');
      expect(outcome.error?.name).toBe('SnapshotFailedError');
      expect(outcome.error?.message).toMatch(/source orders-prod was not found/);
      expect(requests[0]).toContain('Action=CreateDBSnapshot');
    } finally {
      server.close();
    }
  });

  it('puts a MySQL driver in the bundles that open databases only', async () => {
    const withMysql2 = await Promise.all(
      files.map(async (file) => {
        const { sources } = JSON.parse(await readFile(`${file}.map`, 'utf8')) as {
          sources: string[];
        };
        return sources.some((source) => source.includes('node_modules/mysql2/'));
      }),
    );

    expect(functionNames().filter((_, i) => withMysql2[i])).toEqual(['record-baseline', 'verify']);
  });

  it('produces bundles that export a handler, every one', async () => {
    const loaded = await Promise.all(
      stepNames.map(async (step) => {
        const file = join(outDir, kebabCase(step), 'index.mjs');
        return (await invokeBundle(file, { probe: true })).exported;
      }),
    );

    expect(loaded).toEqual(stepNames.map(() => 'function'));
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifierByEngine } from '#adapters/verifiers.ts';

const root = new URL('../..', import.meta.url).pathname;
const recorder = new URL('../cli/record-loads.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'restore-drill-verifiers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Verifies a copy of `engine` that nobody listens for (port 9 on 127.0.0.1) in a plain Node
 * process, the way `pick` chooses the verifier, and returns its checks and the modules it loaded.
 */
function verifyIn(engine: string, pick: 'verifierFor' | 'verifierByEngine') {
  const file = join(work, `${engine}-${pick}.txt`);
  const script = `
const { verifierFor, verifierByEngine } = await import('#adapters/verifiers.ts');
const verifier = ${pick === 'verifierFor' ? `verifierFor(${JSON.stringify(engine)})` : 'verifierByEngine()'};
const connection = { host: '127.0.0.1', port: 9, engine: ${JSON.stringify(engine)}, database: 'shop', user: 'u' };
const checks = { integrity: false, tables: {}, sql: [], statementTimeoutSeconds: 1 };
const request = { connection, checks, recoveryPoint: new Date(), parallel: 1, budgetMs: 1000 };
console.log(JSON.stringify((await verifier.verify(request)).checks));`;
  const { stdout, status } = spawnSync(
    process.execPath,
    ['--import', recorder, '--input-type=module', '-e', script],
    { cwd: root, env: { ...process.env, RESTORE_DRILL_LOADS_FILE: file }, encoding: 'utf8' },
  );
  expect(status).toBe(0);
  const modules = readFileSync(file, 'utf8').split('\n');
  return {
    results: JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as {
      name: string;
      status: string;
    }[],
    mysql2: modules.some((m) => m.includes('/node_modules/mysql2/')),
    pg: modules.some((m) => m.includes('/node_modules/pg/')),
  };
}

describe('the verifier of each engine', () => {
  it.each([
    ['postgres', 'verifierFor'],
    ['aurora-postgresql', 'verifierByEngine'],
  ] as const)('checks %s copies with pg, and never loads mysql2 (%s)', (engine, pick) => {
    const { results, mysql2, pg } = verifyIn(engine, pick);
    expect(results).toEqual([expect.objectContaining({ name: 'connectivity', status: 'ERROR' })]);
    expect(pg).toBe(true);
    expect(mysql2).toBe(false);
  });

  it.each([
    ['mysql', 'verifierFor'],
    ['mariadb', 'verifierByEngine'],
    ['aurora-mysql', 'verifierByEngine'],
  ] as const)('checks %s copies with mysql2 (%s)', (engine, pick) => {
    const { results, mysql2 } = verifyIn(engine, pick);
    expect(results).toEqual([expect.objectContaining({ name: 'connectivity', status: 'ERROR' })]);
    expect(mysql2).toBe(true);
  });

  it('refuses a connection that names no engine, rather than guess its checks', async () => {
    await expect(
      verifierByEngine().verify({
        connection: { host: '127.0.0.1', port: 9, database: 'shop', user: 'u' },
        checks: { integrity: false, tables: {}, sql: [], statementTimeoutSeconds: 1 },
        recoveryPoint: new Date(),
        parallel: 1,
        budgetMs: 1000,
      }),
    ).rejects.toThrow(/names no engine/);
  });
});

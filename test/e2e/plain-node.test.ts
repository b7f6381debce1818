import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

/**
 * Imports every module of the sources in a plain Node process, as the CLI runs them: the test
 * runner's own module interop would hide an import that only it can resolve (a named import
 * from a CommonJS package, say).
 */
const importEverything = `
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
});
const failed = [];
for (const file of [...walk('src'), ...walk('functions')]) {
  try { await import(join(process.cwd(), file)); } catch (error) { failed.push(file + ': ' + error.message); }
}
console.log(JSON.stringify(failed));`;

describe('the sources in plain Node', () => {
  it('import, every module, without the test runner in between', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', importEverything],
      {
        cwd: root,
        env: { PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT' },
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]')).toEqual([]);
  }, 60_000);
});

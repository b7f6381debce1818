import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = new URL('../../bin/restore-drill.js', import.meta.url).pathname;

/** A Node.js older than 24 on this machine, outside the project's own (node_modules). */
function olderNode(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules'));
  for (const dir of [...dirs, '/usr/bin', '/usr/local/bin']) {
    const node = join(dir, 'node');
    if (!existsSync(node)) continue;
    const { stdout } = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    if (Number(stdout.split('.')[0]) < 24) return node;
  }
  return undefined;
}

const node = olderNode();

describe.skipIf(!node)(
  `the bin under ${node ? 'an older Node.js' : 'an older Node.js (none here)'}`,
  () => {
    it.each([[['--help']], [['run', '--local']]])(
      'says %j needs Node.js 24, in a sentence',
      (argv) => {
        const { status, stdout, stderr } = spawnSync(node as string, [bin, ...argv], {
          encoding: 'utf8',
        });
        expect(status).toBe(2);
        expect(stdout).toBe('');
        expect(stderr).toMatch(
          /^restore-drill needs Node\.js 24 or newer; this is v\d+\.\d+\.\d+\.\n/,
        );
        expect(stderr).not.toMatch(/\bat .*:\d+:\d+/);
      },
    );
  },
);

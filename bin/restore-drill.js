#!/usr/bin/env node
// Runs the CLI's bundle (dist/cli/, built by `npm ci` and `npm run build:cli`) when it is current,
// and otherwise the TypeScript sources, which Node 24 runs directly (type stripping). Both behave
// the same; the bundle starts several times faster, as Node then strips no types.
// The version check comes first, and the import after it, so an older Node gets a sentence, not
// a stack trace.
import { readFileSync, statSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `restore-drill needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm from the project (npx restore-drill, npm run drill), which uses the\n' +
      "Node.js 24 that 'npm ci' installed, or install Node.js 24.\n",
  );
  process.exit(2);
}

/**
 * The bundle, unless RESTORE_DRILL_FROM_SOURCES is set, there is none, or a source it was built
 * from has changed since (its modification time differs from the one the build recorded: a
 * few dozen stat calls, well under a millisecond).
 */
function builtEntry() {
  if (process.env.RESTORE_DRILL_FROM_SOURCES) return undefined;
  const root = new URL('../', import.meta.url);
  try {
    const { inputs } = JSON.parse(readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
    for (const [file, mtimeMs] of Object.entries(inputs)) {
      if (statSync(new URL(file, root)).mtimeMs !== mtimeMs) return undefined;
    }
    return new URL('dist/cli/main.mjs', root).href;
  } catch {
    return undefined;
  }
}

const { main } = await import(builtEntry() ?? '../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

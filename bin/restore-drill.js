#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping); no build step is needed. The
// check comes first, and the import after it, so an older Node gets a sentence, not a stack trace.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `restore-drill needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm from the project (npx restore-drill, npm run drill), which uses the\n' +
      "Node.js 24 that 'npm ci' installed, or install Node.js 24.\n",
  );
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

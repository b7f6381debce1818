/**
 * Bundles the CLI (`src/cli/main.ts`) into `dist/cli/` with esbuild, so `bin/restore-drill.js`
 * starts from plain JavaScript instead of having Node strip the types of every module it loads,
 * which is most of the time a `--help` takes. `npm ci` runs it (the `prepare` script), and so
 * does `npm test`.
 *
 *   npm run build:cli
 *
 * Each subcommand is an entry point of its own (`dist/cli/run.mjs`, `dist/cli/config-push.mjs`,
 * ...), and code splitting keeps every `await import()` of the sources a separate chunk, loaded
 * when the sources would load it: a command's help loads that command and nothing heavy. The
 * packages stay external, loaded from node_modules as the sources load them.
 *
 * The chunks sit directly in `dist/cli/`, two levels below the root as the sources' modules are,
 * so a path the sources resolve against their own `import.meta.url`
 * (`../../statemachine/restore-drill.asl.json`) names the same file from the bundle.
 *
 * Beside the bundle, `dist/cli/inputs.json` lists every source file it was built from with its
 * modification time; the bin runs the sources instead when any of them differs (an edit, a
 * checkout), so the bundle is never older than what a developer is looking at.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The modules the bin can load: the main module, and each subcommand's. */
export const CLI_ENTRIES = [
  'main',
  'run',
  'check',
  'suggest',
  'start',
  'status',
  'history',
  'config',
  'config-push',
  'config-show',
] as const;

/** What the bin reads to decide whether the bundle is current. */
export interface BuildInputs {
  /** Each source file bundled, relative to the root, and its mtimeMs when it was read. */
  inputs: Record<string, number>;
}

/** Bundles the CLI into `outDir` (replacing what was there); returns the files written. */
export async function buildCli(outDir = join(root, 'dist', 'cli')): Promise<string[]> {
  const { build } = await import('esbuild');
  // A file changed after this instant may have been read before the change: it is recorded as
  // such, so the bin treats the bundle as stale rather than trusting it.
  const started = Date.now();
  rmSync(outDir, { recursive: true, force: true });
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(CLI_ENTRIES.map((name) => [name, `src/cli/${name}.ts`])),
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  const inputs: BuildInputs['inputs'] = {};
  for (const input of Object.keys(metafile.inputs).sort()) {
    const { mtimeMs } = statSync(join(root, input));
    inputs[input] = mtimeMs > started ? -1 : mtimeMs;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'inputs.json'),
    `${JSON.stringify({ inputs } satisfies BuildInputs)}\n`,
  );
  return Object.keys(metafile.outputs).map((file) => join(root, file));
}

if (import.meta.main) {
  try {
    await import('esbuild');
  } catch {
    // Without the devDependencies (npm ci --omit=dev) there is nothing to build with: the bin
    // then runs the sources, as it does without a build.
    console.log('esbuild is not installed: the CLI will run from its sources');
    process.exit(0);
  }
  const files = await buildCli();
  console.log(`built dist/cli/ (${files.length} files)`);
}

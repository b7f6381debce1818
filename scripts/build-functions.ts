/**
 * Bundles each Lambda function (`functions/<name>/index.ts`) into `dist/<name>/index.mjs` with
 * esbuild, using the options template.yaml gives `sam build`, so a local build is the deployed one.
 *
 *   npm run build
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Gives the ESM bundle a real `require`: bundled CommonJS packages (pg, the X-Ray SDK) load Node
 * built-ins with it, and esbuild's stand-in throws "Dynamic require ... is not supported".
 */
export const REQUIRE_BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The esbuild options of every function; they mirror the `Metadata` blocks in template.yaml. */
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'es2024',
  sourcemap: true,
  minify: true,
  // ESM entry points first: each SDK client then brings only the commands a function imports,
  // where its CommonJS build carries every command of the service.
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.mjs' },
  banner: { js: REQUIRE_BANNER },
} as const satisfies BuildOptions;

/** The functions to bundle: each directory of `functions/` that has an `index.ts`. */
export function functionNames(dir = join(root, 'functions')): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .filter((entry) => readdirSync(join(dir, entry.name)).includes('index.ts'))
    .map((entry) => entry.name)
    .sort();
}

/** Bundles the named functions into `<outDir>/<name>/index.mjs`; returns the files written. */
export async function buildFunctions(
  outDir = join(root, 'dist'),
  names = functionNames(),
): Promise<string[]> {
  const built = await Promise.all(
    names.map(async (name) => {
      await build({
        ...bundleOptions,
        absWorkingDir: root,
        entryPoints: [join('functions', name, 'index.ts')],
        outdir: join(outDir, name),
        logLevel: 'warning',
      });
      return join(outDir, name, 'index.mjs');
    }),
  );
  return built;
}

if (import.meta.main) {
  const files = await buildFunctions();
  for (const file of files) console.log(`built ${relative(process.cwd(), file)}`);
}

import { readdir } from 'node:fs/promises';
import { create } from 'tar';

/** The MIME type PGlite's `loadDataDir` reads as an uncompressed tarball. */
export const TAR_TYPE = 'application/x-tar';

/**
 * A tarball of the directory `root` (node-tar, portable: no owners or other host details), in
 * memory as the chunks that make it up: every file and directory of the data directory, named
 * relative to it, as PGlite's `dumpDataDir('none')` writes it and `loadDataDir` unpacks it. The
 * files are only read, through read-only handles: the directory is never opened as a database,
 * which would write to it.
 */
export async function tarDirectory(root: string): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of create({ cwd: root, portable: true }, (await readdir(root)).sort())) {
    chunks.push(chunk as Uint8Array);
  }
  return chunks;
}

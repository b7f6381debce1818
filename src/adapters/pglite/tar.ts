import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The MIME type PGlite's `loadDataDir` reads as an uncompressed tarball. */
export const TAR_TYPE = 'application/x-tar';

const BLOCK = 512;
/** Files read at once: enough to keep the disk busy, few enough to stay clear of fd limits. */
const READERS = 8;

/** One entry of the tarball, in the order it is written. */
interface Entry {
  name: string;
  path: string;
  directory: boolean;
  mode: number;
  mtimeMs: number;
}

/** An octal field of `size` bytes: digits, zero-padded, then a NUL. */
function octal(header: Uint8Array, offset: number, size: number, value: number): void {
  const digits = Math.floor(value)
    .toString(8)
    .padStart(size - 1, '0');
  if (digits.length > size - 1) throw new Error(`${value} does not fit a tar header field`);
  header.set(Buffer.from(`${digits}\0`, 'latin1'), offset);
}

/** A ustar header, as PGlite's own dump (tinytar) writes and reads it. */
function header(entry: Entry, size: number): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const name = Buffer.from(entry.name, 'utf8');
  if (name.length > 99) throw new Error(`${entry.name}: the name is too long for a tar header`);
  block.set(name, 0);
  octal(block, 100, 8, entry.mode & 0o777);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, entry.mtimeMs / 1000);
  block.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  block[156] = (entry.directory ? '5' : '0').charCodeAt(0);
  block.set(Buffer.from('ustar\x0000', 'latin1'), 257);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.set(Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1'), 148);
  return block;
}

/** Every directory and regular file under `root`, parents first, names relative to it. */
async function walk(root: string, relative = ''): Promise<Entry[]> {
  const entries: Entry[] = [];
  const dir = join(root, relative);
  const names = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  );
  for (const dirent of names) {
    const name = relative ? `${relative}/${dirent.name}` : dirent.name;
    const path = join(dir, dirent.name);
    if (!dirent.isFile() && !dirent.isDirectory()) {
      throw new Error(`${path} is neither a file nor a directory`);
    }
    const info = await stat(path);
    const directory = dirent.isDirectory();
    entries.push({ name, path, directory, mode: info.mode, mtimeMs: info.mtimeMs });
    if (directory) entries.push(...(await walk(root, name)));
  }
  return entries;
}

/** A file's bytes, read through a read-only handle: reading never changes what it reads. */
async function readOnly(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * A tarball of the directory `root`, as the chunks that make it up (headers, file contents and
 * padding), in the layout PGlite's `dumpDataDir('none')` gives: a ustar archive of every file and
 * directory of the data directory, named relative to it, which `loadDataDir` unpacks. Files are
 * only read; the directory is never opened as a database.
 */
export async function tarDirectory(root: string): Promise<Uint8Array[]> {
  const entries = await walk(root);
  const contents: (Buffer | undefined)[] = new Array(entries.length);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < entries.length; i = next++) {
      const entry = entries[i];
      if (entry && !entry.directory) contents[i] = await readOnly(entry.path);
    }
  };
  await Promise.all(Array.from({ length: READERS }, reader));
  const chunks: Uint8Array[] = [];
  entries.forEach((entry, i) => {
    const data = contents[i];
    chunks.push(header(entry, data?.length ?? 0));
    if (!data?.length) return;
    chunks.push(data);
    const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (padding) chunks.push(new Uint8Array(padding));
  });
  chunks.push(new Uint8Array(BLOCK * 2));
  return chunks;
}

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Baseline, parseBaseline } from '#core/baseline.ts';
import type { BaselineStore } from '#core/ports.ts';

/** Baselines as JSON files under a directory (local runs): `<dir>/<target>/<key>.json`. */
export class FileBaselineStore implements BaselineStore {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async load(target: string, key: string): Promise<Baseline | undefined> {
    const path = this.pathOf(target, key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseBaseline(text, `baseline ${path}`);
  }

  async save(target: string, key: string, baseline: Baseline): Promise<void> {
    const path = this.pathOf(target, key);
    await mkdir(dirname(path), { recursive: true });
    // Written whole, then moved into place: a run stopped half-way never leaves half a file.
    await writeFile(`${path}.tmp`, JSON.stringify(baseline, null, 2));
    await rename(`${path}.tmp`, path);
  }

  private pathOf(target: string, key: string) {
    return join(this.dir, target, `${key}.json`);
  }
}

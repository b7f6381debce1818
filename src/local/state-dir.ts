import { join } from 'node:path';
import { FileBaselineStore } from '#adapters/baselines/files.ts';

/** Where runs from this machine keep what outlives a drill, unless `--state-dir` says. */
export const defaultStateDir = () => join(process.cwd(), '.restore-drill');

/** The baselines kept under a state directory, for drills run from this machine. */
export const baselinesIn = (stateDir: string) => new FileBaselineStore(join(stateDir, 'baselines'));

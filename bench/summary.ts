/**
 * What `npm run bench` sums up at its end: the drill bench leaves its whole-drill ratios here,
 * and the start-up bench, which runs last, prints them beside its own.
 */
import { join, resolve } from 'node:path';

export const BENCH_DIR = resolve('.restore-drill', 'bench');
export const DRILL_SUMMARY = join(BENCH_DIR, 'drill-summary.json');

export interface DrillSummary {
  at: string;
  fsType: string;
  reflinks: boolean;
  wholeDrill: { scale: number; drillMs: number; rawMs: number }[];
}

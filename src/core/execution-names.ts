import { randomBytes } from 'node:crypto';

/**
 * `orders-20261123t030012-a1b2c3`: the target, the UTC start to the second, and 6 random hex
 * digits so two drills started in the same second differ. At most 30 + 23 characters, within the
 * 80 letters, digits, hyphens and underscores Step Functions allows.
 */
export function executionName(
  target: string,
  now: Date,
  random = randomBytes(3).toString('hex'),
): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', 't').slice(0, 15);
  return `${target}-${stamp}-${random}`;
}

/** The target an execution name given by `executionName` holds. */
export function targetOfExecutionName(name: string): string | undefined {
  return /^([a-z][a-z0-9-]*)-\d{8}t\d{6}-[0-9a-f]{6}$/.exec(name)?.[1];
}

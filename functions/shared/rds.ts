import { RdsContext, rdsClient } from '#adapters/rds/resources.ts';
import type { Env } from './config.ts';
import { tracer } from './powertools.ts';

/**
 * The RDS side of a function's fleet: a traced client with the SDK's standard settings, and
 * what the stack adds to each copy (`COPY_SUBNET_GROUP`, `COPY_SECURITY_GROUP_IDS`).
 */
export function rdsContext(env: Env = {}): RdsContext {
  const list = (value: string | undefined) =>
    value
      ?.split(',')
      .map((id) => id.trim())
      .filter(Boolean) ?? [];
  return new RdsContext(tracer.captureAWSv3Client(rdsClient()), {
    copySubnetGroup: env.COPY_SUBNET_GROUP || undefined,
    copySecurityGroupIds: list(env.COPY_SECURITY_GROUP_IDS),
  });
}

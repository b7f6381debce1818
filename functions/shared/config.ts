import * as z from 'zod/mini';
import { parseWith } from '#core/config.ts';

/** The process environment, or a stand-in for it in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

const envSchema = z.object({
  REPORT_TOPIC_ARN: z
    .string({ error: 'is not set; it is the ARN of the SNS topic drill reports go to' })
    .check(z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')),
});

/** What the drill's Lambda functions read from their environment (set in template.yaml). */
export interface LambdaConfig {
  /** `REPORT_TOPIC_ARN`: where PublishReport sends each drill's report. */
  reportTopicArn: string;
}

/**
 * Reads the functions' configuration from environment variables. A missing or malformed variable
 * throws a ConfigError that names it; nothing falls back to a default.
 */
export function loadConfig(env: Env): LambdaConfig {
  const parsed = parseWith(envSchema, env, 'Lambda environment');
  return { reportTopicArn: parsed.REPORT_TOPIC_ARN };
}

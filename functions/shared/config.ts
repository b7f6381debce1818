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

const storeSchema = z.object({
  CONFIG_BUCKET: z
    .string({ error: 'is not set; it is the S3 bucket that holds the drill configuration' })
    .check(z.minLength(3)),
  CONFIG_KEY: z
    .string({ error: 'is not set; it is the S3 key of the drill configuration' })
    .check(z.minLength(1)),
});

/** Where the stored drill configuration is: `CONFIG_BUCKET` and `CONFIG_KEY`. */
export function loadStoreLocation(env: Env): { bucket: string; key: string } {
  const parsed = parseWith(storeSchema, env, 'Lambda environment');
  return { bucket: parsed.CONFIG_BUCKET, key: parsed.CONFIG_KEY };
}

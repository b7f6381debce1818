import { describe, expect, it, vi } from 'vitest';
import { PostgresVerifier } from '#adapters/postgres/verifier.ts';
import { SnsNotifier } from '#adapters/sns/notifier.ts';
import { ConfigError } from '#core/errors.ts';
import { loadConfig } from '#functions/shared/config.ts';
import { createDeps, createFleet } from '#functions/shared/deps.ts';
import { FakeFleet } from '../fixtures/fakes.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:restore-drill-reports';

describe('loadConfig', () => {
  it('reads the report topic from REPORT_TOPIC_ARN', () => {
    expect(loadConfig({ REPORT_TOPIC_ARN: TOPIC_ARN })).toEqual({ reportTopicArn: TOPIC_ARN });
  });

  it('names a missing variable', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/REPORT_TOPIC_ARN: is not set/);
  });

  it('names a variable that holds something else than an SNS topic ARN', () => {
    const env = { REPORT_TOPIC_ARN: 'arn:aws:sqs:eu-west-1:123456789012:restore-drill-reports' };

    expect(() => loadConfig(env)).toThrow(/REPORT_TOPIC_ARN: must be an SNS topic ARN/);
  });
});

describe('createDeps', () => {
  it('checks the environment at once, before any step runs', () => {
    expect(() => createDeps({ AWS_REGION: 'eu-west-1' })).toThrow(/REPORT_TOPIC_ARN/);
  });

  it('builds the production notifier and verifier when nothing is injected', () => {
    const deps = createDeps({ REPORT_TOPIC_ARN: TOPIC_ARN });

    expect(deps.notifier).toBeInstanceOf(SnsNotifier);
    expect(deps.verifier).toBeInstanceOf(PostgresVerifier);
  });

  it('fails only the steps that reach for the fleet, with the reason, while RDS is not built', () => {
    const deps = createDeps({ REPORT_TOPIC_ARN: TOPIC_ARN });

    expect(deps.clock.now()).toBeInstanceOf(Date);
    expect(() => deps.fleet).toThrow(ConfigError);
    expect(() => deps.fleet).toThrow(/Amazon RDS backend is not part of the deployed build yet/);
  });

  it('builds an injected fleet once, on first use, from the environment', () => {
    const fleet = new FakeFleet();
    const makeFleet = vi.fn(() => fleet);
    const env = { REPORT_TOPIC_ARN: TOPIC_ARN };

    const deps = createDeps(env, { fleet: makeFleet });
    expect(makeFleet).not.toHaveBeenCalled();

    expect(deps.fleet).toBe(fleet);
    expect(deps.fleet).toBe(fleet);
    expect(makeFleet).toHaveBeenCalledTimes(1);
    expect(makeFleet).toHaveBeenCalledWith(env);
  });
});

describe('createFleet', () => {
  it('refuses plainly until the Amazon RDS backend exists', () => {
    expect(() => createFleet({})).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining('RDS') }),
    );
  });
});

import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { loadConfig } from '#functions/shared/config.ts';
import { createDeps } from '#functions/shared/deps.ts';
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
  it('builds only the ports a function names, each once, on first use, from the environment', () => {
    const fleet = new FakeFleet();
    const makeFleet = vi.fn(() => fleet);
    const env = { REPORT_TOPIC_ARN: TOPIC_ARN };

    const deps = createDeps('TearDown', env, { fleet: makeFleet });
    expect(makeFleet).not.toHaveBeenCalled();

    expect(deps.fleet).toBe(fleet);
    expect(deps.fleet).toBe(fleet);
    expect(makeFleet).toHaveBeenCalledTimes(1);
    expect(makeFleet).toHaveBeenCalledWith(env);
    expect(deps.clock.now()).toBeInstanceOf(Date);
  });

  it('names a port the function was built without, instead of failing on undefined', () => {
    const deps = createDeps('PublishReport', {}, {});

    expect(() => deps.fleet).toThrow('the PublishReport function is built without a fleet');
    expect(() => deps.verifier).toThrow(/without a verifier/);
  });
});

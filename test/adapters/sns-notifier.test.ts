import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fitMessage, MAX_MESSAGE_BYTES, SnsNotifier } from '#adapters/sns/notifier.ts';
import { buildReport, renderText, subjectOf } from '#core/report.ts';
import { erroredState, FINISHED_AT, failingState, passingState } from '../fixtures/drill-state.ts';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:restore-drill-reports';
const sns = mockClient(SNSClient);

function publishedInput() {
  const call = sns.commandCalls(PublishCommand)[0];
  if (!call) throw new Error('nothing was published');
  return call.args[0].input;
}

describe('SnsNotifier', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'b1946ac9-2c3c-4f70-8f1e-8e6c3a5b0d2e' });
  });
  afterAll(() => sns.restore());

  it('publishes the verdict as subject, the text report as body and filterable attributes', async () => {
    const report = buildReport(passingState(), FINISHED_AT);

    await new SnsNotifier(TOPIC_ARN, new SNSClient({})).publish(report);

    expect(sns).toHaveReceivedCommandOnce(PublishCommand);
    expect(publishedInput()).toEqual({
      TopicArn: TOPIC_ARN,
      Subject: 'Restore drill PASS orders-db: 4 checks passed, restored in 15 min 28 s',
      Message: renderText(report),
      MessageAttributes: {
        verdict: { DataType: 'String', StringValue: 'PASS' },
        target: { DataType: 'String', StringValue: 'orders-db' },
        engine: { DataType: 'String', StringValue: 'postgres' },
      },
    });
    expect(publishedInput().Message?.split('\n')[0]).toBe(report.summary);
  });

  it('tells subscriptions a failed drill apart by its verdict attribute', async () => {
    const report = buildReport(failingState(), FINISHED_AT);

    await new SnsNotifier(TOPIC_ARN).publish(report);

    const input = publishedInput();
    expect(input.MessageAttributes?.verdict).toEqual({ DataType: 'String', StringValue: 'FAIL' });
    expect(input.Subject).toBe('Restore drill FAIL orders-db: rows:orders failed');
    expect(input.Message).toMatch(/^FAIL orders-db: rows:orders failed\n/);
  });

  it('keeps the subject to 99 printable ASCII characters when the summary is long and not ASCII', async () => {
    const message = `connexion refusée à « base-de-données-de-production-européenne » — délai dépassé ${'é'.repeat(200)}`;
    const report = buildReport(
      erroredState({ step: 'Verify', error: 'Error', message }),
      FINISHED_AT,
    );

    await new SnsNotifier(TOPIC_ARN).publish(report);

    const { Subject, Message, MessageAttributes } = publishedInput();
    expect(Subject?.length).toBeLessThanOrEqual(99);
    expect(Subject).toMatch(/^[\x20-\x7e]+$/);
    expect(Subject).toMatch(/^Restore drill ERROR orders-db: Verify failed: connexion refus\?e/);
    expect(Subject).toBe(subjectOf(report));
    expect(Message).toMatch(/^ERROR orders-db: Verify failed: connexion refusée/);
    expect(MessageAttributes?.verdict?.StringValue).toBe('ERROR');
  });

  it('lets an SNS error propagate, so the PublishReport task fails', async () => {
    sns.on(PublishCommand).rejects(
      new SNSServiceException({
        name: 'AuthorizationErrorException',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'not authorized to perform SNS:Publish',
      }),
    );
    const report = buildReport(passingState(), FINISHED_AT);

    await expect(new SnsNotifier(TOPIC_ARN).publish(report)).rejects.toMatchObject({
      name: 'AuthorizationErrorException',
    });
  });
});

describe('fitMessage', () => {
  it('leaves a report that fits untouched', () => {
    expect(fitMessage('PASS orders-db\n\nChecks')).toBe('PASS orders-db\n\nChecks');
  });

  it('cuts an oversized report at a line end, under the limit, and says so', () => {
    const line = `FAIL sql:invoice-totals: ${'é'.repeat(120)}`;
    const text = ['FAIL orders-db: sql:invoice-totals failed', ...Array(2000).fill(line)].join(
      '\n',
    );

    const fitted = fitMessage(text);

    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(Buffer.byteLength(fitted)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(fitted.startsWith('FAIL orders-db: sql:invoice-totals failed\n')).toBe(true);
    expect(fitted).not.toContain('\uFFFD');
    expect(fitted).toMatch(
      new RegExp(
        `${line}\\n\\n\\[Report truncated: \\d+ of ${Buffer.byteLength(text)} bytes shown\\. .+\\]$`,
      ),
    );
  });
});

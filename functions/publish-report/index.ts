import { SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from '#adapters/sns/notifier.ts';
import { loadConfig } from '../shared/config.ts';
import { stepHandler } from '../shared/handler.ts';
import { tracer } from '../shared/powertools.ts';

/** PublishReport: sends the drill's report to the SNS topic, and leaves the verdict to the workflow. */
export const handler = stepHandler('PublishReport', {
  ports: {
    notifier: (env) =>
      new SnsNotifier(loadConfig(env).reportTopicArn, tracer.captureAWSv3Client(new SNSClient({}))),
  },
});

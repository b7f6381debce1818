import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '#core/ports.ts';
import { type DrillReport, renderText, subjectOf } from '#core/report.ts';

/**
 * SNS refuses messages over 256 KiB, attributes and subject included; the body stays under
 * 250 KiB so the rest always fits.
 */
export const MAX_MESSAGE_BYTES = 250 * 1024;

/**
 * Publishes a drill's report to an SNS topic: the verdict line as the subject, the text report as
 * the body, and `verdict`, `target` and `engine` as message attributes, so that a subscription
 * can filter (page on FAIL and ERROR only, for instance). A failed publish throws: the workflow's
 * PublishReport task must fail rather than lose a report.
 */
export class SnsNotifier implements Notifier {
  readonly #topicArn: string;
  readonly #client: SNSClient;

  constructor(topicArn: string, client: SNSClient = new SNSClient({})) {
    this.#topicArn = topicArn;
    this.#client = client;
  }

  async publish(report: DrillReport): Promise<void> {
    await this.#client.send(
      new PublishCommand({
        TopicArn: this.#topicArn,
        Subject: subjectOf(report),
        Message: fitMessage(renderText(report)),
        MessageAttributes: {
          verdict: { DataType: 'String', StringValue: report.status },
          target: { DataType: 'String', StringValue: report.target },
          engine: { DataType: 'String', StringValue: report.engine },
        },
      }),
    );
  }
}

/**
 * Cuts a report that would not fit into an SNS message at the last whole line that does, and
 * says so at the end. The verdict and what broke come first in the report, so they survive.
 */
export function fitMessage(text: string, maxBytes = MAX_MESSAGE_BYTES): string {
  const size = Buffer.byteLength(text, 'utf8');
  if (size <= maxBytes) return text;
  const note = (shown: number) =>
    `\n\n[Report truncated: ${shown} of ${size} bytes shown. The drill state in the Step Functions execution holds every check.]`;
  const budget = maxBytes - Buffer.byteLength(note(size), 'utf8');
  // Decoding a byte prefix may end in half a character; drop it, then back up to a line end.
  const prefix = new TextDecoder()
    .decode(Buffer.from(text, 'utf8').subarray(0, budget))
    .replace(/\uFFFD+$/, '');
  const lineEnd = prefix.lastIndexOf('\n');
  const kept = lineEnd > 0 ? prefix.slice(0, lineEnd) : prefix;
  return `${kept}${note(Buffer.byteLength(kept, 'utf8'))}`;
}

import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describeIssues } from '#core/config.ts';
import { executionName, targetOfExecutionName } from '#core/execution-names.ts';
import { buildReport, type DrillReport } from '#core/report.ts';
import { drillStateSchema } from '#core/state.ts';

/** One execution of the deployed drill state machine. */
export interface DrillExecution {
  executionArn: string;
  name: string;
  /** The drilled target, read off the name the CLI gives executions; undefined for others. */
  target: string | undefined;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  status: string;
  startDate: Date;
  stopDate?: Date;
  /** Why an execution ended other than in success: the Fail state's or the service's. */
  error?: string;
  cause?: string;
}

/** The state whose output is the drill's final state, from which its report is rebuilt. */
const REPORT_STATE = 'PublishReport';

const ended = (status: string) => status !== 'RUNNING';

/** JSON as Step Functions recorded it; anything else is left for the schema to refuse. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** What ListExecutions and DescribeExecution both say of an execution. */
type ExecutionSummary = Partial<
  Pick<ExecutionListItem, 'executionArn' | 'name' | 'status' | 'startDate' | 'stopDate'>
>;

const toExecution = (item: ExecutionSummary): DrillExecution => ({
  executionArn: item.executionArn ?? '',
  name: item.name ?? '',
  target: targetOfExecutionName(item.name ?? ''),
  status: item.status ?? 'UNKNOWN',
  startDate: item.startDate ?? new Date(0),
  ...(item.stopDate && { stopDate: item.stopDate }),
});

/** The drill state machine's executions, through Step Functions. */
export class DrillExecutions {
  private readonly client: SFNClient;

  constructor(client: SFNClient = new SFNClient({})) {
    this.client = client;
  }

  /** Starts a drill of the target the deployed configuration names `targetName`. */
  async start(stateMachineArn: string, targetName: string, now = new Date()) {
    const name = executionName(targetName, now);
    const started = await this.client.send(
      new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ targetName }) }),
    );
    return { executionArn: started.executionArn ?? '', startDate: started.startDate ?? now, name };
  }

  async describe(executionArn: string): Promise<DrillExecution> {
    let described: DescribeExecutionCommandOutput;
    try {
      described = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') {
        throw new Error(
          `no execution ${executionArn} in this account and region: check the ARN, AWS_REGION and AWS_PROFILE`,
          { cause: error },
        );
      }
      throw error;
    }
    const { error, cause } = described;
    return {
      ...toExecution(described),
      ...(error && { error }),
      ...(cause && { cause }),
    };
  }

  /**
   * The newest executions first, up to `limit`, paging as needed; with `target`, only the
   * drills of that target (by name: `<target>-...`).
   */
  async list(
    stateMachineArn: string,
    { limit, target }: { limit: number; target?: string },
  ): Promise<DrillExecution[]> {
    const found: DrillExecution[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListExecutionsCommand({
          stateMachineArn,
          // A filtered list may skip many: larger pages then mean fewer requests.
          maxResults: target === undefined ? Math.min(limit, 1000) : 100,
          nextToken,
        }),
      );
      for (const item of page.executions ?? []) {
        const execution = toExecution(item);
        if (target !== undefined && execution.target !== target) continue;
        found.push(execution);
        if (found.length >= limit) return found;
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return found;
  }

  /** The events of an execution after the one numbered `afterId`, oldest first. */
  async eventsAfter(executionArn: string, afterId: number): Promise<HistoryEvent[]> {
    // Read newest first, back to the last event already seen: each poll costs one page or so.
    const newer: HistoryEvent[] = [];
    for await (const event of this.newestFirst(executionArn, 100)) {
      if ((event.id ?? 0) <= afterId) break;
      newer.push(event);
    }
    return newer.reverse();
  }

  /** The name of the state the execution entered last. */
  async currentState(executionArn: string): Promise<string | undefined> {
    for await (const event of this.newestFirst(executionArn, 20)) {
      const name = event.stateEnteredEventDetails?.name;
      if (name) return name;
    }
    return undefined;
  }

  /**
   * The report of an ended drill, rebuilt from the final drill state: the output of the last
   * exit from PublishReport. Undefined when the execution never got there (aborted, timed out,
   * failed before reporting).
   */
  async report(execution: DrillExecution): Promise<DrillReport | undefined> {
    if (!ended(execution.status)) return undefined;
    for await (const event of this.newestFirst(execution.executionArn, 25)) {
      const exited = event.stateExitedEventDetails;
      if (event.type !== 'TaskStateExited' || exited?.name !== REPORT_STATE) continue;
      if (exited.outputDetails?.truncated || exited.output === undefined) {
        throw new Error(
          `the report of ${execution.name} is too large to be read from the execution's history`,
        );
      }
      const parsed = drillStateSchema.safeParse(parseJson(exited.output));
      if (!parsed.success) {
        throw new Error(
          `the final state of ${execution.name} is not a drill state this version reads: ${describeIssues(parsed.error)[0]}`,
        );
      }
      return buildReport(parsed.data, event.timestamp ?? execution.stopDate ?? new Date());
    }
    return undefined;
  }

  /** An execution's history, newest event first, with each state's input and output. */
  private async *newestFirst(executionArn: string, pageSize: number) {
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          reverseOrder: true,
          includeExecutionData: true,
          maxResults: pageSize,
          nextToken,
        }),
      );
      yield* page.events ?? [];
      nextToken = page.nextToken;
    } while (nextToken);
  }
}

export { executionName, targetOfExecutionName };

import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#core/errors.ts';
import { drillInputSchema } from '#core/state.ts';
import { loadConfig } from '#functions/shared/config.ts';
import {
  DRILL_COMPLETED_METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '#functions/shared/powertools.ts';
import { bundleOptions } from '../scripts/build-functions.ts';
import { eventFor, kebabCase } from './fixtures/events.ts';
import { loadTemplate, type TemplateResource } from './fixtures/template.ts';

const template = loadTemplate();
const aslUrl = new URL('../statemachine/restore-drill.asl.json', import.meta.url);
const aslText = readFileSync(aslUrl, 'utf8');
const asl = JSON.parse(aslText) as {
  States: Record<string, { Type: string; Parameters?: { FunctionName?: string } }>;
};

const resourcesOfType = (type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const functions = resourcesOfType('AWS::Serverless::Function');
const stateMachine = template.Resources.DrillStateMachine as TemplateResource;
const machineProps = stateMachine.Properties as {
  DefinitionUri: string;
  DefinitionSubstitutions: Record<string, unknown>;
  Policies: Record<string, unknown>[];
  Events: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};
const substitutions = machineProps.DefinitionSubstitutions;

/** The esbuild metadata every function must carry, mirroring scripts/build-functions.ts. */
function expectedMetadata(entryPoint: string) {
  return {
    BuildMethod: 'esbuild',
    BuildProperties: {
      Format: bundleOptions.format,
      Target: bundleOptions.target,
      Sourcemap: bundleOptions.sourcemap,
      Minify: bundleOptions.minify,
      MainFields: bundleOptions.mainFields.join(','),
      EntryPoints: [entryPoint],
      OutExtension: Object.entries(bundleOptions.outExtension).map(([from, to]) => `${from}=${to}`),
      Banner: Object.entries(bundleOptions.banner).map(([kind, text]) => `${kind}=${text}`),
    },
  };
}

const entryPointOf = (resource: TemplateResource) =>
  (resource.Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)
    ?.EntryPoints?.[0] ?? '';

describe('template.yaml', () => {
  it('is a SAM template that says what it deploys', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(template.Description).toMatch(/restore/i);
  });

  it('runs every function on Node.js 24, arm64, traced, with the service name the code uses', () => {
    const globals = template.Globals.Function;
    expect(globals).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Tracing: 'Active',
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    for (const [, resource] of functions) {
      expect(resource.Properties?.Runtime ?? globals.Runtime).toBe('nodejs24.x');
    }
  });

  it('sets every environment variable loadConfig requires', () => {
    const problems = (() => {
      try {
        loadConfig({});
        return [];
      } catch (error) {
        return error instanceof ConfigError ? error.problems : [];
      }
    })();
    const required = problems.map((problem) => problem.split(':')[0]);
    const variables = (template.Globals.Function.Environment as { Variables: object }).Variables;

    expect(required).toEqual(['REPORT_TOPIC_ARN']);
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(required));
    expect(variables).toMatchObject({ REPORT_TOPIC_ARN: { Ref: 'ReportTopic' } });
  });

  it('builds every function with the same esbuild options as npm run build', () => {
    for (const [, resource] of functions) {
      expect(resource.Metadata).toEqual(expectedMetadata(entryPointOf(resource)));
      expect(resource.Properties).toMatchObject({ CodeUri: './', Handler: 'index.handler' });
    }
  });

  it.each(functions.map(([id, resource]) => [id, entryPointOf(resource)]))(
    '%s has an entry point %s that exports handler',
    async (_id, entryPoint) => {
      const file = new URL(`../${entryPoint}`, import.meta.url);
      expect(existsSync(file)).toBe(true);

      const module = (await import(file.href)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
    },
  );

  it('gives every function its own log group with a retention', () => {
    for (const [, resource] of functions) {
      const logging = resource.Properties?.LoggingConfig as
        | { LogGroup: { Ref: string } }
        | undefined;
      const group = logging && template.Resources[logging.LogGroup.Ref];
      expect(group?.Type).toBe('AWS::Logs::LogGroup');
      expect(group?.Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    }
  });

  it('lets only PublishReport publish to the report topic', () => {
    const publishers = functions.filter(([, resource]) =>
      JSON.stringify(resource.Properties?.Policies ?? []).includes('SNSPublishMessagePolicy'),
    );

    expect(publishers.map(([id]) => id)).toEqual(['PublishReportFunction']);
    expect(template.Resources.PublishReportFunction?.Properties?.Policies).toEqual([
      { SNSPublishMessagePolicy: { TopicName: { 'Fn::GetAtt': ['ReportTopic', 'TopicName'] } } },
    ]);
    expect(template.Resources.ReportTopic?.Type).toBe('AWS::SNS::Topic');
  });
});

describe('template.yaml and the workflow definition', () => {
  it('deploys the one ASL file', () => {
    expect(stateMachine.Type).toBe('AWS::Serverless::StateMachine');
    expect(new URL(`../${machineProps.DefinitionUri}`, import.meta.url).href).toBe(aslUrl.href);
  });

  it('substitutes every placeholder of the ASL, and nothing else', () => {
    const placeholders = [...aslText.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]);

    expect(Object.keys(substitutions).sort()).toEqual([...new Set(placeholders)].sort());
  });

  it('binds each substitution to a function of the template, and uses every function', () => {
    const bound = Object.entries(substitutions).map(([key, value]) => {
      const [resource, attribute] = (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      expect(attribute).toBe('Arn');
      expect(key).toBe(`${resource}Arn`);
      return resource;
    });

    expect(bound.sort()).toEqual(functions.map(([id]) => id).sort());
  });

  it('has a function for every Task state, running the step of the same name', () => {
    const tasks = Object.entries(asl.States).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);

    for (const [stateName, state] of tasks) {
      const placeholder = /^\$\{(\w+)Arn\}$/.exec(state.Parameters?.FunctionName ?? '')?.[1];
      const resource = placeholder ? template.Resources[placeholder] : undefined;
      expect(resource?.Type, `Task state ${stateName}`).toBe('AWS::Serverless::Function');
      expect(entryPointOf(resource as TemplateResource)).toBe(
        `functions/${kebabCase(stateName)}/index.ts`,
      );
    }
  });

  it('lets the state machine invoke each of its functions', () => {
    const invocable = machineProps.Policies.flatMap((policy) =>
      'LambdaInvokePolicy' in policy
        ? [(policy.LambdaInvokePolicy as { FunctionName: { Ref: string } }).FunctionName.Ref]
        : [],
    );

    expect(invocable.sort()).toEqual(functions.map(([id]) => id).sort());
  });

  it('starts drills on a schedule whose input StartDrill accepts', () => {
    const schedule = Object.values(machineProps.Events).find((e) => e.Type === 'ScheduleV2');
    expect(schedule?.Properties).toMatchObject({
      ScheduleExpression: { Ref: 'DrillSchedule' },
      ScheduleExpressionTimezone: { Ref: 'DrillScheduleTimezone' },
    });
    expect(template.Parameters.DrillSchedule?.Default).toBe('cron(0 3 * * ? *)');

    const input = (schedule?.Properties.Input as { 'Fn::Sub'?: string } | undefined)?.['Fn::Sub'];
    const target = JSON.stringify(eventFor('StartDrill').target);
    const execution = JSON.parse(String(input).replace(/\$\{DrillTarget\}/, () => target));
    expect(drillInputSchema.safeParse(execution).success).toBe(true);
  });
});

describe('template.yaml alarms', () => {
  const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut'])(
    'notifies the report topic of %s executions',
    (metric) => {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/States',
          MetricName: metric,
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'DrillStateMachine' } }],
          AlarmActions: [{ Ref: 'ReportTopic' }],
        }),
      );
    },
  );

  it('pages when no drill finished, counting the metric PublishReport emits for each verdict', () => {
    const missed = alarms.find((alarm) => alarm.TreatMissingData === 'breaching');
    const queried = ((missed?.Metrics ?? []) as { MetricStat?: { Metric: unknown } }[]).flatMap(
      (m) => (m.MetricStat ? [m.MetricStat.Metric] : []),
    );

    expect(missed?.AlarmActions).toEqual([{ Ref: 'ReportTopic' }]);
    expect(queried).toEqual(
      ['PASS', 'FAIL', 'ERROR'].map((verdict) => ({
        Namespace: METRICS_NAMESPACE,
        MetricName: DRILL_COMPLETED_METRIC,
        Dimensions: [
          { Name: 'service', Value: SERVICE_NAME },
          { Name: 'verdict', Value: verdict },
        ],
      })),
    );
  });

  it('outputs the report topic and the state machine', () => {
    expect(template.Outputs.ReportTopicArn?.Value).toEqual({ Ref: 'ReportTopic' });
    expect(template.Outputs.DrillStateMachineArn?.Value).toEqual({ Ref: 'DrillStateMachine' });
  });
});

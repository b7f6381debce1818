import { existsSync, readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Target } from '#core/config.ts';
import { ConfigError } from '#core/errors.ts';
import { listTargets } from '#core/schedule.ts';
import { startDrill } from '#core/steps.ts';
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
const CONFIG_KEY = 'restore-drill/config.json';

const resourcesOfType = (type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const functions = resourcesOfType('AWS::Serverless::Function');
const globals = template.Globals.Function;
/** A function's property, or the Globals' when the function sets none. */
const effective = (resource: TemplateResource, key: string) =>
  resource.Properties?.[key] ?? globals[key];

interface MachineProps {
  Type: string;
  DefinitionUri: string;
  DefinitionSubstitutions: Record<string, unknown>;
  Policies: Record<string, unknown>[];
  Logging: Record<string, unknown>;
  Tracing: Record<string, unknown>;
  Events?: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Parameters?: Record<string, unknown>;
  ItemProcessor?: Asl;
  [field: string]: unknown;
}
interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
  QueryLanguage?: string;
}

/** A state machine of the template, with its ASL file as text and as JSON. */
function machine(id: string) {
  const resource = template.Resources[id] as TemplateResource;
  const props = resource.Properties as unknown as MachineProps;
  const url = new URL(`../${props.DefinitionUri}`, import.meta.url);
  const text = readFileSync(url, 'utf8');
  return { id, resource, props, url, text, asl: JSON.parse(text) as Asl };
}
const drill = machine('DrillStateMachine');
const schedule = machine('ScheduleStateMachine');

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

/** Every state of an ASL, nested Map processors included, with the scope it belongs to. */
function scopes(asl: Asl): Asl[] {
  return [
    asl,
    ...Object.values(asl.States).flatMap((state) =>
      state.ItemProcessor ? scopes(state.ItemProcessor) : [],
    ),
  ];
}
const transitionsOf = (state: AslState) => [
  ...(state.Next ? [state.Next] : []),
  ...(state.Default ? [state.Default] : []),
  ...(state.Choices ?? []).map((choice) => choice.Next),
  ...(state.Catch ?? []).map((handler) => handler.Next),
];
const lambdaTasks = (asl: Asl) =>
  scopes(asl).flatMap((scope) =>
    Object.entries(scope.States).filter(
      ([, state]) => state.Type === 'Task' && state.Resource === 'arn:aws:states:::lambda:invoke',
    ),
  );

describe('template.yaml', () => {
  it('is a SAM template that says what it deploys', () => {
    expect(template.Transform).toBe('AWS::Serverless-2016-10-31');
    expect(template.Description).toMatch(/restore/i);
  });

  it('runs every function on Node.js 24, arm64, traced, logging JSON, with the service name the code uses', () => {
    expect(globals).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Tracing: 'Active',
      LoggingConfig: { LogFormat: 'JSON' },
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    for (const [id, resource] of functions) {
      expect(effective(resource, 'Runtime'), id).toBe('nodejs24.x');
      expect(effective(resource, 'Architectures'), id).toEqual(['arm64']);
      expect(effective(resource, 'Tracing'), id).toBe('Active');
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
    const variables = (globals.Environment as { Variables: object }).Variables;

    expect(required).toContain('REPORT_TOPIC_ARN');
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(required));
    expect(variables).toMatchObject({ REPORT_TOPIC_ARN: { Ref: 'ReportTopic' } });
  });

  it('builds every function as npm run build does: esbuild, ESM, minified, with source maps', () => {
    expect(bundleOptions).toMatchObject({ format: 'esm', minify: true, sourcemap: true });
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
    const groups = functions.map(([, resource]) => {
      const logging = resource.Properties?.LoggingConfig as
        | { LogGroup: { Ref: string } }
        | undefined;
      const group = logging && template.Resources[logging.LogGroup.Ref];
      expect(group?.Type).toBe('AWS::Logs::LogGroup');
      expect(group?.Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
      return logging?.LogGroup.Ref;
    });
    expect(new Set(groups).size).toBe(functions.length);
  });
});

describe('template.yaml parameters', () => {
  const parameters = template.Parameters;

  it('describes every parameter', () => {
    for (const [name, parameter] of Object.entries(parameters)) {
      expect(parameter.Description, name).toEqual(expect.stringMatching(/\w{3,}/));
    }
  });

  it('takes targets from the configuration store, not from a parameter', () => {
    expect(parameters).not.toHaveProperty('DrillTarget');
  });

  it('has the documented types and defaults', () => {
    expect(parameters).toMatchObject({
      DrillSchedule: { Type: 'String', Default: 'cron(0 3 * * ? *)' },
      DrillScheduleTimezone: { Type: 'String', Default: 'UTC' },
      VpcId: { Type: 'AWS::EC2::VPC::Id' },
      VerifySubnetIds: { Type: 'List<AWS::EC2::Subnet::Id>' },
      CopySubnetGroupName: { Type: 'String', Default: '' },
      NotificationEmail: { Type: 'String', Default: '' },
      LogRetentionDays: { Type: 'Number', Default: 90 },
      MaxConcurrentDrills: { Type: 'Number', Default: 5, MinValue: 1, MaxValue: 40 },
      CreateVpcEndpoints: { Type: 'String', Default: 'true', AllowedValues: ['true', 'false'] },
      DrillSecretArns: { Type: 'CommaDelimitedList', Default: '' },
      MaxHoursWithoutDrill: { Type: 'Number', Default: 26, MinValue: 1, MaxValue: 168 },
    });
    expect(parameters.VpcId).not.toHaveProperty('Default');
    expect(parameters.VerifySubnetIds).not.toHaveProperty('Default');
  });

  it('keeps logs only as long as CloudWatch Logs can', () => {
    expect(parameters.LogRetentionDays?.AllowedValues).toEqual([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
      3288, 3653,
    ]);
  });

  it('says that without VPC endpoints the subnets need a NAT route', () => {
    expect(parameters.CreateVpcEndpoints?.Description).toMatch(/NAT/);
  });

  it('subscribes the notification email only when one is given', () => {
    const subscriptions = resourcesOfType('AWS::SNS::Subscription');
    expect(subscriptions).toHaveLength(1);
    const [, subscription] = subscriptions[0] ?? [];
    expect(subscription).toMatchObject({
      Condition: 'HasNotificationEmail',
      Properties: {
        Protocol: 'email',
        Endpoint: { Ref: 'NotificationEmail' },
        TopicArn: { Ref: 'ReportTopic' },
      },
    });
    expect(template.Conditions?.HasNotificationEmail).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'NotificationEmail' }, ''] }],
    });
  });
});

describe('template.yaml configuration store', () => {
  const bucket = template.Resources.ConfigBucket as TemplateResource;

  it('keeps the configuration versioned, private, encrypted, and its history for a year', () => {
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          expect.objectContaining({
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 365 },
          }),
        ],
      },
    });
  });

  it('refuses every request that is not over TLS', () => {
    const [, policy] =
      resourcesOfType('AWS::S3::BucketPolicy').find(
        ([, p]) => (p.Properties?.Bucket as { Ref?: string } | undefined)?.Ref === 'ConfigBucket',
      ) ?? [];
    const statements = (policy?.Properties?.PolicyDocument as { Statement: unknown[] } | undefined)
      ?.Statement;
    expect(statements).toContainEqual({
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [
        { 'Fn::GetAtt': ['ConfigBucket', 'Arn'] },
        { 'Fn::Sub': `\${ConfigBucket.Arn}/*` },
      ],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('tells StartDrill and ListTargets where the configuration is', () => {
    for (const id of ['StartDrillFunction', 'ListTargetsFunction']) {
      expect(template.Resources[id]?.Properties?.Environment, id).toEqual({
        Variables: { CONFIG_BUCKET: { Ref: 'ConfigBucket' }, CONFIG_KEY },
      });
    }
  });

  it('tells RestoreInstance what to add to every copy', () => {
    expect(template.Resources.RestoreInstanceFunction?.Properties?.Environment).toEqual({
      Variables: {
        COPY_SUBNET_GROUP: { Ref: 'CopySubnetGroupName' },
        COPY_SECURITY_GROUP_IDS: { 'Fn::GetAtt': ['CopySecurityGroup', 'GroupId'] },
      },
    });
  });
});

describe('template.yaml network', () => {
  const verify = template.Resources.VerifyFunction as TemplateResource;
  const group = (id: string) => template.Resources[id] as TemplateResource;
  const groupId = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
  /** Every rule of a security group: inline, and the rule resources that name it. */
  function rules(id: string, direction: 'Ingress' | 'Egress') {
    const inline = (group(id).Properties?.[`SecurityGroup${direction}`] ?? []) as unknown[];
    const separate = resourcesOfType(`AWS::EC2::SecurityGroup${direction}`)
      .filter(
        ([, rule]) => JSON.stringify(rule.Properties?.GroupId) === JSON.stringify(groupId(id)),
      )
      .map(([, rule]) => {
        const { GroupId: _, ...props } = rule.Properties ?? {};
        return props;
      });
    return [...inline, ...separate] as Record<string, unknown>[];
  }
  const ports = (list: Record<string, unknown>[]) =>
    list.map(({ IpProtocol, FromPort, ToPort }) => `${IpProtocol}:${FromPort}-${ToPort}`).sort();

  it('runs Verify in the VPC with its own security group, for as long as Lambda allows', () => {
    expect(verify.Properties).toMatchObject({
      Timeout: 900,
      VpcConfig: {
        SecurityGroupIds: [groupId('VerifyFunctionSecurityGroup')],
        SubnetIds: { Ref: 'VerifySubnetIds' },
      },
    });
    expect(Number(effective(verify, 'MemorySize'))).toBeGreaterThanOrEqual(512);
    expect(group('VerifyFunctionSecurityGroup').Properties?.VpcId).toEqual({ Ref: 'VpcId' });
  });

  it('runs no other function in the VPC but RecordBaseline, with a security group of its own', () => {
    for (const [id, resource] of functions) {
      if (id !== 'VerifyFunction' && id !== 'RecordBaselineFunction') {
        expect(resource.Properties?.VpcConfig, id).toBeUndefined();
      }
    }
    const [, record] = functions.find(([id]) => id === 'RecordBaselineFunction') ?? [];
    expect(record?.Properties?.VpcConfig).toEqual({
      SecurityGroupIds: [groupId('RecordBaselineSecurityGroup')],
      SubnetIds: { Ref: 'VerifySubnetIds' },
    });
  });

  it('lets RecordBaseline reach database ports and AWS APIs on 443, and nothing reach it', () => {
    const egress = rules('RecordBaselineSecurityGroup', 'Egress');
    const plain = egress.filter((rule) => !('Fn::If' in rule));
    expect(ports(plain)).toEqual(['tcp:3306-3306', 'tcp:5432-5432']);
    expect(egress).toHaveLength(3);
    expect(rules('RecordBaselineSecurityGroup', 'Ingress')).toEqual([]);
  });

  it('lets the copy security group admit the Verify function only, on 5432 and 3306', () => {
    const ingress = rules('CopySecurityGroup', 'Ingress');
    expect(ports(ingress)).toEqual(['tcp:3306-3306', 'tcp:5432-5432']);
    for (const rule of ingress) {
      expect(rule.SourceSecurityGroupId).toEqual(groupId('VerifyFunctionSecurityGroup'));
      expect(rule).not.toHaveProperty('CidrIp');
    }
    expect(group('CopySecurityGroup').Properties?.VpcId).toEqual({ Ref: 'VpcId' });
  });

  it('lets the Verify function reach the copies on their ports and AWS APIs on 443, nothing else', () => {
    const egress = rules('VerifyFunctionSecurityGroup', 'Egress');
    const toCopies = egress.filter((rule) => 'DestinationSecurityGroupId' in rule);
    expect(ports(toCopies)).toEqual(['tcp:3306-3306', 'tcp:5432-5432']);
    for (const rule of toCopies) {
      expect(rule.DestinationSecurityGroupId).toEqual(groupId('CopySecurityGroup'));
    }
    const https = egress.find((rule) => 'Fn::If' in rule) as { 'Fn::If': unknown[] } | undefined;
    expect(https?.['Fn::If']).toEqual([
      'CreateEndpoints',
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        DestinationSecurityGroupId: groupId('EndpointSecurityGroup'),
      }),
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        CidrIp: '0.0.0.0/0',
      }),
    ]);
    expect(egress).toHaveLength(3);
  });

  it('creates the Secrets Manager and RDS endpoints with private DNS in the Verify subnets, on request', () => {
    const endpoints = resourcesOfType('AWS::EC2::VPCEndpoint');
    expect(
      endpoints
        .map(
          ([, e]) => (e.Properties?.ServiceName as { 'Fn::Sub': string } | undefined)?.['Fn::Sub'],
        )
        .sort(),
    ).toEqual([
      `com.amazonaws.\${AWS::Region}.rds`,
      `com.amazonaws.\${AWS::Region}.secretsmanager`,
    ]);
    for (const [id, endpoint] of endpoints) {
      expect(endpoint, id).toMatchObject({
        Condition: 'CreateEndpoints',
        Properties: {
          VpcEndpointType: 'Interface',
          VpcId: { Ref: 'VpcId' },
          SubnetIds: { Ref: 'VerifySubnetIds' },
          SecurityGroupIds: [groupId('EndpointSecurityGroup')],
          PrivateDnsEnabled: true,
        },
      });
    }
    expect(group('EndpointSecurityGroup').Condition).toBe('CreateEndpoints');
    const ingress = rules('EndpointSecurityGroup', 'Ingress');
    expect(ports(ingress)).toEqual(['tcp:443-443', 'tcp:443-443']);
    expect(ingress.map((rule) => rule.SourceSecurityGroupId)).toEqual(
      expect.arrayContaining([
        groupId('VerifyFunctionSecurityGroup'),
        groupId('RecordBaselineSecurityGroup'),
      ]),
    );
  });
});

describe.each([drill, schedule])('the $id and its workflow definition', (m) => {
  const placeholders = [...new Set([...m.text.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]))];

  it('deploys a standard workflow from its ASL file', () => {
    expect(m.resource.Type).toBe('AWS::Serverless::StateMachine');
    expect(m.props.Type).toBe('STANDARD');
    expect(existsSync(m.url)).toBe(true);
  });

  it('substitutes every placeholder of the ASL, and nothing else', () => {
    expect(Object.keys(m.props.DefinitionSubstitutions).sort()).toEqual(placeholders.sort());
  });

  it('is valid JSONPath ASL: every state reachable, every transition to a state of its scope', () => {
    expect(m.asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    // The local runner's validator (asl-validator): schema, paths, ARNs, transitions.
    expect(
      () =>
        new StateMachine(m.asl as never, {
          validationOptions: { checkArn: true, checkPaths: true },
        }),
    ).not.toThrow();
    for (const scope of scopes(m.asl)) {
      expect(scope.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      const names = Object.keys(scope.States);
      const reached = new Set([scope.StartAt]);
      for (const name of reached) {
        const state = scope.States[name];
        expect(state, `transition to ${name}`).toBeDefined();
        for (const next of transitionsOf(state as AslState)) reached.add(next);
      }
      expect([...reached].sort()).toEqual(names.sort());
      const ends = Object.values(scope.States).filter(
        (state) => state.End === true || state.Type === 'Succeed' || state.Type === 'Fail',
      );
      expect(ends.length).toBeGreaterThan(0);
    }
  });

  it('runs each Lambda Task on the function of the same name, and may invoke those only', () => {
    const tasks = lambdaTasks(m.asl);
    expect(tasks.length).toBeGreaterThan(0);
    const invoked = tasks.map(([stateName, state]) => {
      const placeholder = /^\$\{(\w+)Arn\}$/.exec(String(state.Parameters?.FunctionName))?.[1];
      const resource = placeholder ? template.Resources[placeholder] : undefined;
      expect(resource?.Type, `Task state ${stateName}`).toBe('AWS::Serverless::Function');
      expect(entryPointOf(resource as TemplateResource)).toBe(
        `functions/${kebabCase(stateName)}/index.ts`,
      );
      expect(m.props.DefinitionSubstitutions[`${placeholder}Arn`]).toEqual({
        'Fn::GetAtt': [placeholder, 'Arn'],
      });
      return placeholder;
    });
    const invocable = m.props.Policies.flatMap((policy) =>
      'LambdaInvokePolicy' in policy
        ? [(policy.LambdaInvokePolicy as { FunctionName: { Ref: string } }).FunctionName.Ref]
        : [],
    );
    expect(invocable.sort()).toEqual(invoked.sort());
  });

  it('logs every transition without execution data, to a log group with the retention, and traces', () => {
    expect(m.props.Logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const [destination] = m.props.Logging.Destinations as {
      CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } };
    }[];
    const [groupId] = destination?.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'] ?? [];
    const group = template.Resources[groupId ?? ''];
    expect(group?.Type).toBe('AWS::Logs::LogGroup');
    expect(group?.Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
    expect(m.props.Tracing).toEqual({ Enabled: true });
  });
});

describe('the two workflows together', () => {
  it('uses every function in one workflow or the other, each in one', () => {
    const used = [...lambdaTasks(drill.asl), ...lambdaTasks(schedule.asl)].map(
      ([, state]) => /^\$\{(\w+)Arn\}$/.exec(String(state.Parameters?.FunctionName))?.[1],
    );
    expect(used.sort()).toEqual(functions.map(([id]) => id).sort());
  });

  it('schedules runs of the schedule state machine, with {} as input, and nothing else', () => {
    expect(Object.values(drill.props.Events ?? {})).toEqual([]);
    const events = Object.values(schedule.props.Events ?? {});
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      Type: 'ScheduleV2',
      Properties: {
        ScheduleExpression: { Ref: 'DrillSchedule' },
        ScheduleExpressionTimezone: { Ref: 'DrillScheduleTimezone' },
        Input: '{}',
      },
    });
  });

  it('binds the schedule to the drill state machine, ListTargets and MaxConcurrentDrills', () => {
    expect(schedule.props.DefinitionSubstitutions).toEqual({
      ListTargetsFunctionArn: { 'Fn::GetAtt': ['ListTargetsFunction', 'Arn'] },
      DrillStateMachineArn: { Ref: 'DrillStateMachine' },
      MaxConcurrentDrills: { Ref: 'MaxConcurrentDrills' },
    });
  });

  it('starts each drill as a synchronous child execution named by ListTargets, with the input a manual start takes', () => {
    const map = schedule.asl.States.DrillEachTarget as AslState;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.targets',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
      End: true,
    });
    const processor = map.ItemProcessor as Asl;
    const task = processor.States[processor.StartAt] as AslState;
    expect(task).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: {
        StateMachineArn: `\${DrillStateMachineArn}`,
        'Name.$': '$.executionName',
        Input: {
          'targetName.$': '$.targetName',
          'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
        },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: expect.any(String) }],
    });
    const handler = processor.States[task.Catch?.[0]?.Next ?? ''];
    expect(handler?.Type).toBe('Pass');
    expect(handler?.End).toBe(true);
  });

  it('sets the Map concurrency from MaxConcurrentDrills, as the number MaxConcurrency takes', () => {
    // A placeholder in a JSON file is a string; StringToJson makes the substituted digits a number.
    const list = schedule.asl.States.ListTargets as AslState;
    expect(list.ResultSelector).toMatchObject({
      'maxConcurrency.$': `States.StringToJson('\${MaxConcurrentDrills}')`,
    });
    expect(schedule.asl.States.DrillEachTarget?.MaxConcurrencyPath).toBe('$.maxConcurrency');
  });

  it('lets the schedule start drills, follow them to their end, and nothing more', () => {
    const statements = schedule.props.Policies.flatMap(
      (policy) => (policy.Statement ?? []) as { Sid: string; Action: unknown; Resource: unknown }[],
    );
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.StartDrills).toMatchObject({
      Action: 'states:StartExecution',
      Resource: { Ref: 'DrillStateMachine' },
    });
    expect(bySid.FollowDrills).toMatchObject({
      Action: ['states:DescribeExecution', 'states:StopExecution'],
      Resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:\${DrillStateMachine.Name}:*`,
      },
    });
    expect(bySid.HearOfDrillsEnding).toMatchObject({
      Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      Resource: {
        'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
      },
    });
    expect(Object.keys(bySid).sort()).toEqual(
      ['DeliverExecutionLogs', 'FollowDrills', 'HearOfDrillsEnding', 'StartDrills'].sort(),
    );
  });
});

describe('a scheduled run, on the local interpreter', () => {
  const target = (name: string): Target =>
    parseConfig({ targets: [{ ...(eventFor('StartDrill').target as object), name }] })
      .targets[0] as Target;
  const catalog = { targets: async () => [target('orders'), target('ledger'), target('users')] };
  const clock = { now: () => new Date('2026-12-03T03:00:00Z') };

  /** The schedule's ASL as CloudFormation deploys it, with its placeholders substituted. */
  const deployed = (maxConcurrency: number) =>
    JSON.parse(
      schedule.text
        .replaceAll(
          `\${ListTargetsFunctionArn}`,
          'arn:aws:lambda:eu-west-1:123456789012:function:list-targets',
        )
        .replaceAll(
          `\${DrillStateMachineArn}`,
          'arn:aws:states:eu-west-1:123456789012:stateMachine:drill',
        )
        .replaceAll(`\${MaxConcurrentDrills}`, String(maxConcurrency)),
    );

  it('drills every target, at most MaxConcurrentDrills at a time, and one failed drill stops no other', async () => {
    let running = 0;
    let peak = 0;
    const started: string[] = [];
    const machine = new StateMachine(deployed(2), {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    const execution = machine.run(
      {},
      {
        context: {
          Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:schedule:run' },
        },
        overrides: {
          taskResourceLocalHandlers: {
            // lambda:invoke: AWS passes Parameters and wraps the function's result in Payload.
            ListTargets: async (input) => ({
              Payload: JSON.parse(
                JSON.stringify(
                  await listTargets((input as { Payload: unknown }).Payload, { catalog, clock }),
                ),
              ),
            }),
            // startExecution.sync:2: the child drill's StartDrill gets Input; a failed drill fails the Task.
            DrillTarget: async (input) => {
              const { Name, Input } = input as { Name: string; Input: unknown };
              running += 1;
              peak = Math.max(peak, running);
              try {
                const state = await startDrill(Input, { clock, catalog });
                started.push(state.target.name);
                await new Promise((resolve) => setTimeout(resolve, 20));
                if (state.target.name === 'ledger') {
                  throw Object.assign(new Error('DrillFailedError: FAIL'), {
                    name: 'States.TaskFailed',
                  });
                }
                return { Status: 'SUCCEEDED', ExecutionArn: `arn:execution:drill:${Name}` };
              } finally {
                running -= 1;
              }
            },
          },
        },
      },
    );
    const outcomes = (await execution.result) as {
      targetName: string;
      executionName: string;
      drill: { status: string };
      failed?: { Error: string };
    }[];

    expect(started.sort()).toEqual(['ledger', 'orders', 'users']);
    expect(peak).toBe(2);
    expect(outcomes.map((o) => [o.targetName, o.drill.status, o.failed?.Error])).toEqual([
      ['orders', 'SUCCEEDED', undefined],
      ['ledger', 'FAILED', 'States.TaskFailed'],
      ['users', 'SUCCEEDED', undefined],
    ]);
    for (const outcome of outcomes) {
      expect(outcome.executionName).toMatch(
        new RegExp(`^${outcome.targetName}-20261203t030000-[0-9a-f]{6}$`),
      );
    }
  });
});

describe('template.yaml alarms', () => {
  const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties ?? {});

  it.each([
    ['DrillStateMachine', 'ExecutionsFailed'],
    ['DrillStateMachine', 'ExecutionsTimedOut'],
    ['ScheduleStateMachine', 'ExecutionsFailed'],
  ])('notifies the report topic of %s %s', (machineId, metric) => {
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
        AlarmActions: [{ Ref: 'ReportTopic' }],
      }),
    );
  });

  it('pages when no drill finished, counting the metric PublishReport emits for each verdict', () => {
    const missed = alarms.find((alarm) => alarm.TreatMissingData === 'breaching');
    const queried = ((missed?.Metrics ?? []) as { MetricStat?: { Metric: unknown } }[]).flatMap(
      (m) => (m.MetricStat ? [m.MetricStat.Metric] : []),
    );

    expect(missed?.AlarmActions).toEqual([{ Ref: 'ReportTopic' }]);
    expect(missed?.EvaluationPeriods).toEqual({ Ref: 'MaxHoursWithoutDrill' });
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
});

describe('template.yaml outputs', () => {
  it('outputs exactly what the CLI reads', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual(
      [
        'StateMachineArn',
        'ScheduleStateMachineArn',
        'TopicArn',
        'ConfigBucket',
        'ConfigKey',
        'VerifySecurityGroupId',
        'RecordBaselineSecurityGroupId',
        'CopySecurityGroupId',
      ].sort(),
    );
    expect(template.Outputs).toMatchObject({
      StateMachineArn: { Value: { Ref: 'DrillStateMachine' } },
      ScheduleStateMachineArn: { Value: { Ref: 'ScheduleStateMachine' } },
      TopicArn: { Value: { Ref: 'ReportTopic' } },
      ConfigBucket: { Value: { Ref: 'ConfigBucket' } },
      ConfigKey: { Value: CONFIG_KEY },
      VerifySecurityGroupId: {
        Value: { 'Fn::GetAtt': ['VerifyFunctionSecurityGroup', 'GroupId'] },
      },
      CopySecurityGroupId: { Value: { 'Fn::GetAtt': ['CopySecurityGroup', 'GroupId'] } },
    });
  });

  it('says how to start one drill by hand', () => {
    expect(JSON.stringify(template.Outputs.StateMachineArn)).toContain(
      `--input '{\\"targetName\\":\\"orders\\"}'`,
    );
  });
});

/**
 * The functions' IAM policies against the code: each function's bundle is built as `sam build`
 * builds it, the AWS operations it can send are read out of the bundle, and its policy must allow
 * each of them and nothing else, beyond a short table of permissions those operations imply.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRILL_ID_TAG } from '#core/steps.ts';
import { buildFunctions, functionNames } from '../scripts/build-functions.ts';
import { loadTemplate, type TemplateResource } from './fixtures/template.ts';

const template = loadTemplate();

/** The start of this account's and region's RDS ARNs, as the template writes them in `!Sub`. */
const RDS_ARN = `arn:\${AWS::Partition}:rds:\${AWS::Region}:\${AWS::AccountId}`;
const CONFIG_KEY = 'restore-drill/config.json';

/** The IAM service prefix of each SDK client whose calls the functions' policies must cover. */
const clients = {
  'client-rds': 'rds',
  'client-secrets-manager': 'secretsmanager',
  'client-sns': 'sns',
  'client-s3': 's3',
} as const;

/**
 * Operation name to IAM service prefix, from each installed client's command classes. The
 * credential providers' own calls (STS, SSO) are not among them, so they drop out.
 */
function operationServices(): Map<string, string[]> {
  const services = new Map<string, string[]>();
  for (const [client, prefix] of Object.entries(clients)) {
    const dir = new URL(`../node_modules/@aws-sdk/${client}/dist-es/commands/`, import.meta.url);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const operation = /^(\w+)Command\.js$/.exec(file)?.[1];
      if (operation) services.set(operation, [...(services.get(operation) ?? []), prefix]);
    }
  }
  return services;
}

/** Operations whose IAM action is not named after them; every other one is `<service>:<operation>`. */
const actionNames: Record<string, string> = {
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:HeadBucket': 's3:ListBucket',
};
const iamAction = (prefix: string, operation: string) =>
  actionNames[`${prefix}:${operation}`] ?? `${prefix}:${operation}`;

/**
 * Permissions an operation needs beyond its own action, each with the reason. Nothing else may
 * appear in a function's policy.
 */
// Tags passed on a create are added with AddTagsToResource, which the caller needs too.
const TAG_ON_CREATE = ['rds:AddTagsToResource'];
// An encrypted snapshot: RDS uses its KMS key as the caller (a grant for the new copy's volume).
const ENCRYPTED_RESTORE = ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey'];
const implied: Record<string, string[]> = {
  'rds:CreateDBSnapshot': TAG_ON_CREATE,
  'rds:CreateDBClusterSnapshot': TAG_ON_CREATE,
  'rds:CreateDBInstance': TAG_ON_CREATE,
  'rds:RestoreDBInstanceFromDBSnapshot': [...TAG_ON_CREATE, ...ENCRYPTED_RESTORE],
  'rds:RestoreDBInstanceToPointInTime': [...TAG_ON_CREATE, ...ENCRYPTED_RESTORE],
  'rds:RestoreDBClusterFromSnapshot': [...TAG_ON_CREATE, ...ENCRYPTED_RESTORE],
  'rds:RestoreDBClusterToPointInTime': [...TAG_ON_CREATE, ...ENCRYPTED_RESTORE],
  // ManageMasterUserPassword: RDS creates and tags the rds!... secret as the caller, with the
  // key's description read through KMS.
  'rds:ModifyDBInstance': [
    'secretsmanager:CreateSecret',
    'secretsmanager:TagResource',
    'kms:DescribeKey',
  ],
  'rds:ModifyDBCluster': [
    'secretsmanager:CreateSecret',
    'secretsmanager:TagResource',
    'kms:DescribeKey',
  ],
  // Secrets Manager decrypts the secret with its KMS key as the caller.
  'secretsmanager:GetSecretValue': ['kms:Decrypt'],
};

/** Permissions one function's calls imply, beyond `implied`. */
const impliedIn: Record<string, Record<string, string[]>> = {
  // A versioned bucket: reading a given version of the configuration object.
  'list-targets': { 's3:GetObject': ['s3:GetObjectVersion'] },
  'start-drill': { 's3:GetObject': ['s3:GetObjectVersion'] },
  // A baseline not kept yet is NoSuchKey only to a role that may list: AccessDenied otherwise.
  verify: { 's3:GetObject': ['s3:ListBucket'] },
};
const impliedBy = (fn: string, action: string) => [
  ...(implied[action] ?? []),
  ...(impliedIn[fn]?.[action] ?? []),
];

/**
 * Commands a bundle carries that its function never sends, by bundle, each with the reason; they
 * are left out of what the policy must allow. Keep it short: a command carried but not sent is
 * code the function's bundle should not have.
 */
const S3_EXPRESS_SESSION = {
  actions: ['s3:CreateSession'],
  why: 'the S3 client signs in with CreateSession for S3 Express directory buckets only; ConfigBucket is a general purpose bucket',
};
const carriedNotSent: Record<string, { actions: string[]; why: string }[]> = {
  'list-targets': [S3_EXPRESS_SESSION],
  'start-drill': [S3_EXPRESS_SESSION],
  'record-baseline': [
    S3_EXPRESS_SESSION,
    {
      actions: ['s3:GetObject'],
      why: 'the baseline store reads as well as keeps; RecordBaseline only keeps',
    },
  ],
  verify: [S3_EXPRESS_SESSION],
};

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A statement list with its `Fn::If` entries as both branches (without AWS::NoValue). */
function flattenIfs(entries: unknown[]): Statement[] {
  return entries.flatMap((entry) => {
    const branches = (entry as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
    if (!branches) return [entry as Statement];
    return flattenIfs(
      branches
        .slice(1)
        .filter((branch) => (branch as { Ref?: string } | undefined)?.Ref !== 'AWS::NoValue'),
    );
  });
}

const policiesOf = (resource: TemplateResource) =>
  list(resource.Properties?.Policies as unknown[] | undefined);

function statementsOf(resource: TemplateResource): Statement[] {
  return policiesOf(resource).flatMap((policy) =>
    flattenIfs(list((policy as { Statement?: unknown[] }).Statement)),
  );
}

/** A resource ARN as the template writes it, with `${...}` left in. */
const resourceText = (resource: unknown): string => {
  if (typeof resource === 'string') return resource;
  const { 'Fn::Sub': sub, Ref: ref } = resource as { 'Fn::Sub'?: unknown; Ref?: unknown };
  if (typeof sub === 'string') return sub;
  if (typeof ref === 'string') return `\${${ref}}`;
  return JSON.stringify(resource);
};

const globMatch = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  ).test(value);

const conditionKeys = (statement: Statement) =>
  Object.values(statement.Condition ?? {}).flatMap((operator) => Object.keys(operator));

const functions = Object.entries(template.Resources).filter(
  ([, resource]) => resource.Type === 'AWS::Serverless::Function',
);
const directoryOf = (resource: TemplateResource) =>
  /^functions\/([\w-]+)\/index\.ts$/.exec(
    (resource.Metadata?.BuildProperties as { EntryPoints?: string[] } | undefined)
      ?.EntryPoints?.[0] ?? '',
  )?.[1] ?? '';

describe('IAM policies of the functions, against what their bundles send', () => {
  let outDir: string;
  const sent = new Map<string, string[]>();

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'restore-drill-iam-'));
    const names = functionNames();
    await buildFunctions(outDir, names);
    const services = operationServices();
    for (const name of names) {
      const bundle = await readFile(join(outDir, name, 'index.mjs'), 'utf8');
      // Each SDK command class, minified: `class extends f(a,b,"OperationName"`.
      const operations = new Set(
        [...bundle.matchAll(/class extends [\w$]+\([\w$]+,[\w$]+,"(\w+)"/g)].map((m) => m[1] ?? ''),
      );
      const actions = [...operations].flatMap((operation) => {
        const prefixes = services.get(operation) ?? [];
        // An operation of two of these services would be ambiguous here: say so rather than guess.
        if (prefixes.length > 1)
          throw new Error(`${name}: ${operation} is an operation of ${prefixes}`);
        return prefixes.map((prefix) => iamAction(prefix, operation));
      });
      const notSent = new Set(carriedNotSent[name]?.flatMap((entry) => entry.actions) ?? []);
      sent.set(name, actions.filter((action) => !notSent.has(action)).sort());
    }
  }, 90_000);
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  it('finds a bundle for every function of the template', () => {
    expect(functions.map(([, resource]) => directoryOf(resource)).sort()).toEqual(
      [...sent.keys()].sort(),
    );
  });

  it('finds the SDK calls in the bundles (the extraction works)', () => {
    expect(sent.get('take-snapshot')).toContain('rds:CreateDBSnapshot');
    expect(sent.get('publish-report')).toEqual(['sns:Publish']);
    expect(sent.get('verify')).toContain('secretsmanager:GetSecretValue');
  });

  it.each(functions.map(([id, resource]) => [id, resource] as const))(
    '%s has one inline policy of plain statements',
    (_id, resource) => {
      const policies = policiesOf(resource);
      expect(policies).toHaveLength(1);
      expect(Object.keys(policies[0] as object)).toEqual(['Statement']);
      for (const statement of statementsOf(resource)) {
        expect(statement.Effect).toBe('Allow');
        expect(statement.Sid).toMatch(/^\w+$/);
      }
    },
  );

  it.each(functions.map(([id, resource]) => [id, resource] as const))(
    '%s may send every call its code makes',
    (_id, resource) => {
      const allowed = statementsOf(resource).flatMap((s) => list(s.Action));
      for (const action of sent.get(directoryOf(resource)) ?? []) {
        expect(
          allowed.some((pattern) => globMatch(pattern, action)),
          `${action} is not allowed`,
        ).toBe(true);
      }
    },
  );

  it.each(functions.map(([id, resource]) => [id, resource] as const))(
    '%s has the permissions its calls imply (tag on create, KMS, the managed secret)',
    (_id, resource) => {
      const allowed = statementsOf(resource).flatMap((s) => list(s.Action));
      const fn = directoryOf(resource);
      for (const action of sent.get(fn) ?? []) {
        for (const needed of impliedBy(fn, action)) {
          expect(allowed, `${action} needs ${needed}`).toContain(needed);
        }
      }
    },
  );

  it.each(functions.map(([id, resource]) => [id, resource] as const))(
    '%s may do nothing more than its code needs',
    (_id, resource) => {
      const fn = directoryOf(resource);
      const actions = sent.get(fn) ?? [];
      const needed = new Set([...actions, ...actions.flatMap((action) => impliedBy(fn, action))]);
      const allowed = [...new Set(statementsOf(resource).flatMap((s) => list(s.Action)))];

      for (const action of allowed) {
        expect(action, 'no wildcard actions').not.toContain('*');
        expect(needed.has(action), `${action} is allowed, but nothing in the code needs it`).toBe(
          true,
        );
      }
    },
  );
});

describe('IAM tag conditions', () => {
  const statements = functions.flatMap(([id, resource]) =>
    statementsOf(resource).map((statement) => ({ id, statement })),
  );
  const rdsStatements = statements.filter(({ statement }) =>
    list(statement.Action).some((action) => action.startsWith('rds:')),
  );
  const drillIdResourceTag = `aws:ResourceTag/${DRILL_ID_TAG}`;
  const drillIdRequestTag = `aws:RequestTag/${DRILL_ID_TAG}`;

  /** The resource types each create makes (the new resource), by action. */
  const creates: Record<string, string[]> = {
    'rds:CreateDBSnapshot': ['snapshot'],
    'rds:CreateDBClusterSnapshot': ['cluster-snapshot'],
    'rds:CreateDBInstance': ['db'],
    'rds:RestoreDBInstanceFromDBSnapshot': ['db'],
    'rds:RestoreDBInstanceToPointInTime': ['db'],
    'rds:RestoreDBClusterFromSnapshot': ['cluster'],
    'rds:RestoreDBClusterToPointInTime': ['cluster'],
    'rds:AddTagsToResource': ['db', 'cluster', 'snapshot', 'cluster-snapshot'],
  };
  /**
   * A point-in-time restore names its source with the same resource type as the new copy, so the
   * statement that lets any instance or cluster be the source (db:*, cluster:*) cannot carry the
   * copy's request-tag condition: IAM cannot tell the two apart. These are the only untagged
   * grants of a create on its new resource type; the code always passes the drill's tags.
   */
  const pointInTimeSources = [
    'PointInTimeFromAnySourceInstance',
    'PointInTimeFromAnySourceCluster',
  ];
  const typeOf = (arn: string) =>
    /^arn:[^:]+:rds:[^:]*:[^:]*:([a-z-]+):/.exec(arn.replace(/\$\{[^}]*\}/g, 'x'))?.[1];

  it('never allows rds:* or any wildcard action', () => {
    for (const { statement } of statements) {
      for (const action of list(statement.Action)) expect(action).not.toContain('*');
    }
  });

  it('lets every Delete and Modify touch only what carries a drill id tag', () => {
    const changes = rdsStatements.filter(({ statement }) =>
      list(statement.Action).some((action) => /^rds:(Delete|Modify)/.test(action)),
    );
    expect(changes.length).toBeGreaterThanOrEqual(6);
    for (const { id, statement } of changes) {
      expect(conditionKeys(statement), `${id} ${statement.Sid}`).toContain(drillIdResourceTag);
      expect(statement.Condition?.StringLike?.[drillIdResourceTag]).toBe('drill-*');
    }
  });

  it('lets every create, restore and tag-on-create make only drill-* resources tagged with a drill id', () => {
    for (const { id, statement } of rdsStatements) {
      const resources = list(statement.Resource).map(resourceText);
      for (const action of list(statement.Action)) {
        const made = creates[action];
        if (!made) continue;
        for (const arn of resources) {
          const type = typeOf(arn);
          const where = `${id} ${statement.Sid} ${action} on ${arn}`;
          if (!type || !made.includes(type)) continue;
          if (pointInTimeSources.includes(statement.Sid ?? '')) {
            expect(action, where).toMatch(/ToPointInTime$/);
            continue;
          }
          expect(arn, where).toMatch(/:drill-\*$/);
          expect(conditionKeys(statement), where).toContain(drillIdRequestTag);
          expect(statement.Condition?.StringLike?.[drillIdRequestTag], where).toBe('drill-*');
        }
      }
    }
  });

  it('lets an Aurora copy get its instance only in a cluster tagged as a drill copy', () => {
    const inCluster = rdsStatements.find(
      ({ statement }) =>
        list(statement.Action).includes('rds:CreateDBInstance') &&
        list(statement.Resource)
          .map(resourceText)
          .some((arn) => typeOf(arn) === 'cluster'),
    );
    expect(inCluster?.statement.Resource).toEqual({
      'Fn::Sub': `${RDS_ARN}:cluster:drill-*`,
    });
    expect(inCluster?.statement.Condition).toEqual({
      StringLike: { [drillIdResourceTag]: 'drill-*' },
    });
  });

  it('names an RDS resource type in every rds statement that is not on "*"', () => {
    for (const { id, statement } of rdsStatements) {
      for (const arn of list(statement.Resource).map(resourceText)) {
        if (arn !== '*') expect(typeOf(arn), `${id} ${statement.Sid} ${arn}`).toBeDefined();
      }
    }
  });

  it('puts every conditioned rds statement on one resource type', () => {
    for (const { id, statement } of rdsStatements) {
      if (!statement.Condition) continue;
      const types = new Set(list(statement.Resource).map((r) => typeOf(resourceText(r))));
      expect(types.size, `${id} ${statement.Sid}`).toBe(1);
    }
  });

  it('lets Verify read only the managed secrets of drill copies, and the secrets configured', () => {
    const verify = template.Resources.VerifyFunction as TemplateResource;
    const reads = statementsOf(verify).filter((s) =>
      list(s.Action).includes('secretsmanager:GetSecretValue'),
    );
    const managed = reads.filter((s) => resourceText(s.Resource).includes('secret:rds!*'));

    expect(managed.map((s) => s.Condition)).toEqual([
      {
        StringLike: {
          'aws:ResourceTag/aws:rds:primaryDBInstanceArn': {
            'Fn::Sub': `${RDS_ARN}:db:drill-*`,
          },
        },
      },
      {
        StringLike: {
          'aws:ResourceTag/aws:rds:primaryDBClusterArn': {
            'Fn::Sub': `${RDS_ARN}:cluster:drill-*`,
          },
        },
      },
    ]);
    const configured = reads.filter((s) => !managed.includes(s));
    expect(configured.map((s) => s.Resource)).toEqual([{ Ref: 'DrillSecretArns' }]);
    // Only when the parameter lists some: an empty list would be an invalid Resource.
    const entry = (
      (verify.Properties?.Policies as { Statement: unknown[] }[] | undefined)?.[0]?.Statement ?? []
    ).find((s) => 'Fn::If' in (s as object)) as { 'Fn::If': unknown[] };
    expect(entry['Fn::If'][0]).toBe('HasDrillSecretArns');
    expect(entry['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
  });

  it('lets every KMS use go through RDS or Secrets Manager only', () => {
    const kms = statements.filter(({ statement }) =>
      list(statement.Action).some((action) => action.startsWith('kms:')),
    );
    expect(kms.length).toBeGreaterThan(0);
    for (const { id, statement } of kms) {
      expect(statement.Condition?.StringEquals, `${id} ${statement.Sid}`).toHaveProperty(
        'kms:ViaService',
      );
      if (list(statement.Action).includes('kms:CreateGrant')) {
        expect(statement.Condition?.Bool).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
      }
    }
  });

  it('lets StartDrill and ListTargets read the configuration object and nothing else of S3', () => {
    const object = { 'Fn::Sub': `\${ConfigBucket.Arn}/${CONFIG_KEY}` };
    for (const id of ['StartDrillFunction', 'ListTargetsFunction']) {
      const s3 = statementsOf(template.Resources[id] as TemplateResource).filter((s) =>
        list(s.Action).some((action) => action.startsWith('s3:')),
      );
      expect(s3.map((s) => s.Resource)).toEqual([object]);
    }
  });

  it('lets only PublishReport publish, to the report topic only', () => {
    const publishers = statements.filter(({ statement }) =>
      list(statement.Action).some((action) => action.startsWith('sns:')),
    );
    expect(
      publishers.map(({ id, statement }) => [id, statement.Action, statement.Resource]),
    ).toEqual([['PublishReportFunction', 'sns:Publish', { Ref: 'ReportTopic' }]]);
  });
});

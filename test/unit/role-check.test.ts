import { describe, expect, it } from 'vitest';
import { type AccessRequest, allows, type ResourceNames, type Statement } from '../support/iam-policy.ts';
import { checkCode, checkRun } from '../support/role-check.ts';
import type { CodeOperation } from '../support/sdk-operations.ts';

/** Resources written by name, as the least-privilege tests name the template's. */
const names: ResourceNames = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

const onItems = (actions: string[], ...partitions: string[]): Statement => ({
  Effect: 'Allow',
  Action: actions,
  Resource: 'table',
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': partitions } },
});
const sendTo = (queue: string): Statement => ({
  Effect: 'Allow',
  Action: 'sqs:SendMessage',
  Resource: queue,
});

const item = (action: string, ...leadingKeys: string[]): AccessRequest => ({
  action: `dynamodb:${action}`,
  resource: 'table',
  context: { 'dynamodb:LeadingKeys': leadingKeys },
});
const send = (queue: string): AccessRequest => ({ action: 'sqs:SendMessage', resource: queue, context: {} });

/** A role that holds exactly what an authorizer-like function did: one key read, one send. */
const exact = [onItems(['dynamodb:GetItem'], 'APIKEY#*'), sendTo('queue:delivery')];
const made = [item('GetItem', 'APIKEY#3f2a'), item('GetItem', 'APIKEY#9bc1'), send('queue:delivery')];

describe('the run check', () => {
  it('passes a role that holds exactly what the function did', () => {
    expect(checkRun(exact, made, [], names)).toEqual({ refused: [], unused: [], stale: [] });
  });

  it('catches a role too broad: each action and partition nothing used, a Scan among them', () => {
    const broad = [...exact, onItems(['dynamodb:GetItem', 'dynamodb:Scan'], 'APIKEY#*', 'ACCOUNT#*')];

    expect(checkRun(broad, made, [], names).unused).toEqual([
      'dynamodb:GetItem table ACCOUNT#*',
      'dynamodb:Scan table APIKEY#*',
      'dynamodb:Scan table ACCOUNT#*',
    ]);
  });

  it('shows why no role may allow a Scan: ForAllValues holds for a request that names no partition', () => {
    const scanOfKeys = onItems(['dynamodb:Scan'], 'APIKEY#*');

    expect(allows([scanOfKeys], item('Scan'), names)).toBe(true);
  });

  it('catches a role too narrow: an action, a partition, one item of a batch, a queue it lacks', () => {
    const narrow = [onItems(['dynamodb:GetItem'], 'APIKEY#*')];
    const requests = [
      item('GetItem', 'APIKEY#3f2a'),
      item('PutItem', 'APIKEY#3f2a'),
      item('GetItem', 'ACCOUNT#acct_1'),
      item('GetItem', 'APIKEY#3f2a', 'SUBSCRIPTION#sub_1'),
      send('queue:delivery'),
    ];

    expect(checkRun(narrow, requests, [], names).refused).toEqual(requests.slice(1));
  });

  it('holds a KMS call to the encryption context its statement names', () => {
    const decrypt: Statement = {
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: 'key',
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'webhook-signing-secret' } },
    };
    const request = (context: Record<string, string>) => ({
      action: 'kms:Decrypt',
      resource: 'key',
      context,
    });

    expect(
      allows([decrypt], request({ 'kms:EncryptionContext:purpose': 'webhook-signing-secret' }), names),
    ).toBe(true);
    expect(allows([decrypt], request({ 'kms:EncryptionContext:purpose': 'anything else' }), names)).toBe(
      false,
    );
    expect(allows([decrypt], request({}), names)).toBe(false);
  });

  it('lets an explicit Deny win, and reads action wildcards without regard to case', () => {
    const statements: Statement[] = [
      { Effect: 'Allow', Action: 'DynamoDB:Get*', Resource: '*' },
      { Effect: 'Deny', Action: 'dynamodb:GetItem', Resource: 'other-table' },
    ];

    expect(allows(statements, { action: 'dynamodb:GetItem', resource: 'table' }, names)).toBe(true);
    expect(allows(statements, { action: 'dynamodb:GetItem', resource: 'other-table' }, names)).toBe(false);
  });

  it('refuses to judge a condition operator it does not know', () => {
    const statement: Statement = {
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: 'table',
      Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['APIKEY#*'] } },
    };

    expect(() => allows([statement], item('GetItem', 'APIKEY#3f2a'), names)).toThrow(
      /ForAnyValue:StringLike/,
    );
  });

  it('accepts an unused grant with its reason, and reports a reason that explains nothing', () => {
    const withLogs = [
      ...exact,
      { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: 'logs' } as Statement,
    ];
    const reasons = [
      { actions: ['logs:PutLogEvents'], resource: 'logs', why: 'Lambda writes the logs' },
      {
        actions: ['sqs:SendMessage'],
        resource: 'queue:delivery',
        why: 'no longer true: the run sends there',
      },
    ];

    expect(checkRun(withLogs, made, reasons, names)).toEqual({
      refused: [],
      unused: [],
      stale: ['exempt but used or not granted: sqs:SendMessage queue:delivery'],
    });
  });
});

describe('the code check', () => {
  const inCode: CodeOperation[] = [
    { action: 'dynamodb:GetItem', module: 'functions/core/accounts/api-key-store.ts', command: 'GetCommand' },
    { action: 'dynamodb:PutItem', module: 'functions/core/accounts/api-key-store.ts', command: 'PutCommand' },
  ];

  it('catches a command the role allows nowhere, unless its module is named with a reason', () => {
    const reason = {
      module: 'functions/core/accounts/api-key-store.ts',
      actions: ['dynamodb:PutItem'],
      why: 'CLI',
    };

    expect(checkCode(exact, inCode, [])).toEqual({
      ungranted: ['dynamodb:PutItem (functions/core/accounts/api-key-store.ts: new PutCommand()'],
      stale: [],
    });
    expect(checkCode(exact, inCode, [reason])).toEqual({ ungranted: [], stale: [] });
  });

  it('does not let a reason for one module excuse the same command in another', () => {
    const elsewhere = {
      module: 'functions/core/accounts/portal-signing-key.ts',
      actions: ['dynamodb:PutItem'],
      why: '',
    };

    expect(checkCode(exact, inCode, [elsewhere])).toEqual({
      ungranted: ['dynamodb:PutItem (functions/core/accounts/api-key-store.ts: new PutCommand()'],
      stale: [
        'exempt but granted or not in the code: dynamodb:PutItem in functions/core/accounts/portal-signing-key.ts',
      ],
    });
  });
});

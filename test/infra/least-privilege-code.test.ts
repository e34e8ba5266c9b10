/**
 * Least privilege, proven from the code (issue 17, item 1): each handler is bundled as the CDK app bundles it, and
 * every AWS SDK command the project's modules in its bundle construct (test/support/sdk-operations.ts) must be
 * allowed by its function's role in the synthesized template, or be listed below with the reason the function
 * never sends it.
 *
 * The code names no resource, so a command passes when the role grants its action on any resource; and a module
 * is bundled whole, so a bundle carries commands of methods its function never calls. The run's side of the
 * proof (test/integration/least-privilege.test.ts) holds each call the function does make to its queue, key and
 * table partition, and shows that the role grants nothing more.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionName, functions } from '../../functions/core/platform.ts';
import { bundleHandler } from '../support/handler-bundles.ts';
import { type PlatformRoles, platformRoles } from '../support/platform-roles.ts';
import { checkCode, type UngrantedCode } from '../support/role-check.ts';
import { type CodeOperation, operationsOfBundle } from '../support/sdk-operations.ts';
import { synthPlatform } from './synth.ts';

const names = Object.keys(functions) as FunctionName[];

/** SecretBox seals a secret (the API's create and rotate) and opens one (the lanes' signing), in one module. */
const secrets = 'functions/core/aws/kms-secrets.ts';

/** The delivery lanes share one handler: what each carries for the others. */
const laneCode = {
  sealing: {
    module: secrets,
    actions: ['kms:Encrypt'],
    why: 'The lanes only open secrets to sign: sealing one is the API’s, at create and rotate.',
  },
  orderedVisibility: {
    module: 'functions/delivery/ports.ts',
    actions: ['sqs:ChangeMessageVisibility'],
    why:
      'keepInFlight and releaseInFlight change the visibility of ordered-lane messages only, which reach the ' +
      'ordered lane’s function alone (its mapping); the main and slow lanes receive none.',
  },
} as const satisfies Record<string, UngrantedCode>;

/** Commands in each function's bundle that its role does not allow, each with why the function never sends it. */
const neverSent: Record<FunctionName, readonly UngrantedCode[]> = {
  authorizer: [
    {
      module: 'functions/core/accounts/api-key-store.ts',
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      why: 'ApiKeyStore issues and revokes keys for the operator’s CLI; the authorizer calls accountOf, a GetItem.',
    },
    {
      module: 'functions/core/storage/query-pages.ts',
      actions: ['dynamodb:Query'],
      why: 'ApiKeyStore.list pages an account’s keys for the operator’s CLI; the authorizer lists nothing.',
    },
    {
      module: 'functions/core/accounts/portal-signing-key.ts',
      actions: ['dynamodb:PutItem'],
      why: 'PortalSigningKeys.current makes the first key when the API opens a portal session; the authorizer only reads it.',
    },
  ],
  api: [
    {
      module: secrets,
      actions: ['kms:Decrypt'],
      why: 'The API seals the secrets it makes and shows each once, then never reads one: only the lanes open them.',
    },
  ],
  fanOut: [
    {
      module: 'functions/core/storage/batch-get.ts',
      actions: ['dynamodb:BatchGetItem'],
      why:
        'The stores’ batched reads: EventStore.getAll reads kept bodies back for retries and releases, ' +
        'DeliveryStore.getAll an event’s delivery records for the events log; fan-out claims events.',
    },
  ],
  delivery: [laneCode.sealing, laneCode.orderedVisibility],
  slowDelivery: [laneCode.sealing, laneCode.orderedVisibility],
  orderedDelivery: [
    laneCode.sealing,
    {
      module: 'functions/core/storage/query-pages.ts',
      actions: ['dynamodb:Query'],
      why: 'DeliveryStore pages records for the API’s listings and recoveries; an ordered delivery reads its own record.',
    },
    {
      module: 'functions/core/deliveries/delivery-store.ts',
      actions: ['dynamodb:PutItem'],
      why: 'DeliveryStore.createPending is fan-out’s, for a test event; an ordered delivery’s record is fan-out’s too.',
    },
    {
      module: 'functions/core/deliveries/event-store.ts',
      actions: ['dynamodb:PutItem', 'dynamodb:Query'],
      why: 'EventStore claims events (fan-out’s); an ordered delivery carries its body in its message.',
    },
    {
      module: 'functions/core/storage/batch-get.ts',
      actions: ['dynamodb:BatchGetItem'],
      why:
        'The stores’ batched reads: kept bodies for the other lanes’ releases of held deliveries (an ordered ' +
        'delivery carries its body in its message), delivery records for the API’s events log.',
    },
    {
      module: 'functions/core/deliveries/held-delivery-store.ts',
      actions: ['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'],
      why: 'An ordered delivery behind an open circuit waits in its message group: the ordered lane holds none.',
    },
  ],
  retryRelay: [],
};

let outDir: string;
let inCode: Map<string, CodeOperation[]>;
let roles: PlatformRoles;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'hookbridge-least-privilege-'));
  const entries = [...new Set(names.map((name) => functions[name].entry))];
  inCode = new Map(
    await Promise.all(
      entries.map(async (entry, index) => {
        const metafile = await bundleHandler(entry, join(outDir, String(index)));
        return [entry, await operationsOfBundle(metafile)] as const;
      }),
    ),
  );
  const { stack, resources } = synthPlatform();
  roles = platformRoles(stack, resources);
}, 60_000);

afterAll(async () => {
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

describe("each function's role allows every command its bundle's code constructs", () => {
  it('finds the commands of every AWS service the functions use', () => {
    const actions = new Set([...inCode.values()].flat().map((operation) => operation.action.split(':')[0]));
    expect(actions).toEqual(new Set(['dynamodb', 'sqs', 'events', 'kms']));
  });

  it.each(names)('%s', (name) => {
    const operations = inCode.get(functions[name].entry) ?? [];
    expect(checkCode(roles.statementsOf(name), operations, neverSent[name])).toEqual({
      ungranted: [],
      stale: [],
    });
  });
});

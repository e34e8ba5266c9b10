import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyId } from '#core/accounts/api-key-store.ts';
import { type Sandbox, startSandbox } from '../../sandbox/sandbox.ts';
import { api } from '../support/clients.ts';
import { expectOneLineError, lines, runOperatorCli } from '../support/operator-cli.ts';
import { freePort } from '../support/sandbox-process.ts';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, logLevel: 'SILENT' });
});

afterAll(async () => {
  await sandbox?.close();
});

/** Runs `bin/keys.ts` as an operator does, in a process of its own. */
const keys = (args: string[], env: Record<string, string> = {}) => runOperatorCli('keys.ts', args, env);

const newAccount = () => `acct_${randomUUID().slice(0, 8)}`;

async function create(account: string) {
  const run = await keys(['create', '--account', account, '--endpoint', sandbox.endpoint]);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  const apiKey = lines(run.stdout).at(-1) ?? '';
  return { run, apiKey };
}

describe('npm run keys against the sandbox', () => {
  it('creates a key, printed alone on the last line after its id, that authenticates the API', async () => {
    const account = newAccount();

    const { run, apiKey } = await create(account);

    expect(apiKey).toMatch(/^whk_[\w-]{43}$/);
    expect(lines(run.stdout).slice(0, -1).join('\n')).toContain(apiKeyId(apiKey));
    expect(lines(run.stdout).slice(0, -1).join('\n')).not.toContain(apiKey);
    expect((await api(sandbox.endpoint, apiKey, 'GET', '/v1/webhooks')).status).toBe(200);
  });

  it('lists the account’s keys by id and creation time, never the key nor its hash', async () => {
    const account = newAccount();
    const { apiKey } = await create(account);
    const { apiKey: otherAccountsKey } = await create(newAccount());

    const run = await keys(['list', '--account', account, '--endpoint', sandbox.endpoint]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(lines(run.stdout)).toEqual([
      expect.stringMatching(/^ID\s+CREATED$/),
      expect.stringMatching(new RegExp(`^${apiKeyId(apiKey)}\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`)),
    ]);
    expect(run.stdout).not.toContain(apiKey);
    expect(run.stdout).not.toContain(createHash('sha256').update(apiKey).digest('hex'));
    expect(run.stdout).not.toContain(apiKeyId(otherAccountsKey));
  });

  it('revokes a key given the key: the API refuses it at once', async () => {
    const account = newAccount();
    const { apiKey } = await create(account);

    const run = await keys(['revoke', '--account', account, '--key', apiKey, '--endpoint', sandbox.endpoint]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(apiKeyId(apiKey));
    expect(run.stdout).not.toContain(apiKey);
    expect((await api(sandbox.endpoint, apiKey, 'GET', '/v1/webhooks')).status).toBe(401);
  });

  it('revokes a key given its id: the API refuses it at once and the list no longer shows it', async () => {
    const account = newAccount();
    const { apiKey } = await create(account);

    const run = await keys([
      'revoke',
      '--account',
      account,
      '--key',
      apiKeyId(apiKey),
      '--endpoint',
      sandbox.endpoint,
    ]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect((await api(sandbox.endpoint, apiKey, 'GET', '/v1/webhooks')).status).toBe(401);
    const listed = await keys(['list', '--account', account, '--endpoint', sandbox.endpoint]);
    expect(listed.stdout).not.toContain(apiKeyId(apiKey));
  });

  it('refuses to revoke another account’s key, which keeps working', async () => {
    const { apiKey } = await create(newAccount());
    const other = newAccount();

    const run = await keys(['revoke', '--account', other, '--key', apiKey, '--endpoint', sandbox.endpoint]);

    expect(expectOneLineError(run, 1)).toContain(`Account ${other} has no such API key`);
    expect(run.stderr).not.toContain(apiKey);
    expect((await api(sandbox.endpoint, apiKey, 'GET', '/v1/webhooks')).status).toBe(200);
  });

  it('prints its usage with --help', async () => {
    const run = await keys(['--help']);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: npm run keys -- <command>/);
    expect(run.stdout).toContain('newest first');
  });
});

describe('npm run keys failures: one line on stderr, no stack trace', () => {
  it('an endpoint nobody listens on', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;

    const run = await keys(['list', '--account', 'acct_1', '--endpoint', endpoint]);

    expect(expectOneLineError(run, 1)).toContain(`Cannot connect to ${endpoint} (ECONNREFUSED)`);
  });

  it('a table that does not exist', async () => {
    const run = await keys([
      'create',
      '--account',
      'acct_1',
      '--endpoint',
      sandbox.endpoint,
      '--table',
      'nope',
    ]);

    expect(expectOneLineError(run, 1)).toBe(`There is no table "nope" at ${sandbox.endpoint}.`);
  });

  it('no AWS credentials for a deployed table', async () => {
    const run = await keys(['list', '--account', 'acct_1', '--table', 'webhooks', '--region', 'eu-west-1'], {
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });

    expect(expectOneLineError(run, 1)).toMatch(/^No AWS credentials found/);
  });

  it('a missing --account', async () => {
    const run = await keys(['list', '--endpoint', sandbox.endpoint]);

    expect(expectOneLineError(run, 2)).toContain('--account ID is required');
  });

  it('an unknown command', async () => {
    const run = await keys(['rotate', '--account', 'acct_1', '--endpoint', sandbox.endpoint]);

    expect(expectOneLineError(run, 2)).toContain('Unknown command "rotate"');
  });

  it('revoke without --key, and an unknown option', async () => {
    const withoutKey = await keys(['revoke', '--account', 'acct_1', '--endpoint', sandbox.endpoint]);
    const unknownOption = await keys(['list', '--account', 'acct_1', '--tabel', 'webhooks']);

    expect(expectOneLineError(withoutKey, 2)).toContain('revoke needs --key');
    expect(expectOneLineError(unknownOption, 2)).toContain("Unknown option '--tabel'");
  });
});

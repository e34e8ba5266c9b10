/**
 * `npm start`: the whole webhook platform on this machine, no AWS account and no Docker.
 * Usage: npm start -- [options]; see the usage text below.
 */
import { apiKeyId } from '../functions/core/accounts/api-key-store.ts';
import { SettingError } from '../functions/core/settings.ts';
import { buildPortal } from '../portal/build.ts';
import { type LogFormat, logFormats, startConsole } from '../sandbox/console/live-console.ts';
import { DataDirInUseError } from '../sandbox/data-dir-lock.ts';
import { optionsLine } from '../sandbox/options-line.ts';
import { startSandbox } from '../sandbox/sandbox.ts';
import {
  durationsNote,
  settingFlagsInEffect,
  settingOptions,
  settingsFromFlags,
  settingsUsage,
} from '../sandbox/setting-flags.ts';
import { parseOptions, usageError, wholeNumber } from './cli.ts';
import { stopOnSignals } from './stop-on-signal.ts';

const usage = `Usage: npm start -- [options]
Prints the endpoint, the demo account's API key and API user (the key's id, for HTTP Basic), and a link
to its portal (valid 24 hours).
  --port N                  port on 127.0.0.1 (default 4566; 0 picks a free one)
  --memory                  keep all state in memory instead of on disk
  --data-dir DIR            where state lives across restarts (default .sandbox)
  --api-key KEY             an API key for the demo account, added beside any earlier ones
                            (default: one generated once and kept in the data dir)
  --block-private-targets   refuse webhook URLs on loopback and private networks, as deployed
  --quiet                   only warnings and errors from the functions
  --log-format FORMAT       pretty: a line per delivery attempt and per warning or error, and a summary when
                            stopped (default); json: the functions' JSON log lines, as CloudWatch keeps them
  -h, --help                this text
Settings (README: Settings, with their bounds):
${settingsUsage(28)}
${durationsNote}`;

const sandboxOptions = {
  port: { type: 'string', default: '4566' },
  memory: { type: 'boolean', default: false },
  'data-dir': { type: 'string', default: '.sandbox' },
  'api-key': { type: 'string' },
  'block-private-targets': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  'log-format': { type: 'string', default: 'pretty' },
} as const;
const values = parseOptions({ ...sandboxOptions, ...settingOptions }, usage);
if (values.memory && process.argv.includes('--data-dir')) {
  usageError('--memory keeps nothing on disk: give --memory or --data-dir DIR, not both', usage);
}
/** The settings the flags give, or a usage error naming the flag. */
function givenSettings() {
  try {
    return settingsFromFlags(values);
  } catch (error) {
    if (error instanceof SettingError) usageError(error.message, usage);
    throw error;
  }
}
const settings = givenSettings();
const logFormat = values['log-format'] as LogFormat;
if (!logFormats.includes(logFormat)) {
  usageError(`--log-format must be ${logFormats.join(' or ')}, not '${values['log-format']}'`, usage);
}
const port = wholeNumber('port', values.port, 0, 65_535, usage);
// It travels as `Authorization: Bearer <key>`, so it must be printable ASCII without spaces.
const apiKey = values['api-key'];
if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
  usageError('--api-key must be printable ASCII characters without spaces', usage);
}
// The authorizer takes whp_ credentials for portal tokens, never for API keys.
if (apiKey?.startsWith('whp_'))
  usageError('--api-key must not start with whp_, which marks portal links', usage);

// The portal the API serves at /portal/, built from portal/src so that it is always the current one.
await buildPortal().catch((error: unknown) => {
  console.error(
    'The portal could not be built (portal/src):',
    error instanceof Error ? error.message : error,
  );
  process.exit(1);
});

// The functions' log records, rendered for people (or kept as JSON) and tallied for the summary at the stop.
const functionConsole = startConsole({ format: logFormat, quiet: values.quiet });
const sandbox = await startSandbox({
  port,
  ...(values.memory ? {} : { dataDir: values['data-dir'] }),
  ...(apiKey === undefined ? {} : { apiKey }),
  allowPrivateTargets: !values['block-private-targets'],
  ...settings,
  // The pretty console leaves out what --quiet hides itself, so that its summary counts every delivery.
  logLevel: values.quiet && logFormat === 'json' ? 'WARN' : 'INFO',
}).catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${port} is in use (another sandbox?). Stop it, or pick another port with --port N.`);
  } else if (error instanceof DataDirInUseError) {
    console.error(`${error.message}, or give this one its own --data-dir DIR (or --memory).`);
  } else {
    console.error('The sandbox could not start:', error);
  }
  process.exit(1);
});

// From the moment it runs: a Ctrl+C while the banner is made (the portal link is a request) stops it gracefully.
stopOnSignals(sandbox, {
  dataDir: values.memory ? undefined : values['data-dir'],
  afterStop: printConsoleSummary,
});

console.log(`Endpoint: ${sandbox.endpoint}`);
console.log(`API key: ${sandbox.apiKey}`);
// The key's id is the user of HTTP Basic authentication, as the Shipmondo-compatible API's clients send it.
console.log(`API user: ${apiKeyId(sandbox.apiKey)}`);
console.log(`Event bus: ${sandbox.eventBusName}`);
console.log(`State: ${values.memory ? 'in memory' : `on disk in ${values['data-dir']}/`}`);
const undeliverable = sandbox.undeliverableEvents().length;
if (undeliverable > 0) {
  console.warn(
    `Undeliverable events: ${undeliverable} that no queue took, kept in ${values['data-dir']}/undeliverable/ ` +
      '(README: Event limits); delete them once read.',
  );
}
console.log(`Portal: ${await portalLink(sandbox.endpoint, sandbox.apiKey)}`);
// The key is not repeated: it has its own line above.
console.log(optionsLine(sandboxOptions, values, settingFlagsInEffect(settings), ['api-key']));
console.log('Ready. Ctrl+C stops the sandbox.');
// The delivery lines made while the banner was printed (a restart's waiting messages) come after it, not inside.
functionConsole.ready();

/** What the deliveries of this run added up to (the console's summary), once the sandbox has stopped. */
function printConsoleSummary(): void {
  functionConsole.stop();
  const summary = functionConsole.summary();
  if (summary !== undefined) console.log(summary);
}

/**
 * A portal link for the demo account, made as an operator's backend makes one: `POST /v1/portal-sessions`
 * with the account's API key, for the longest a link may last (24 hours). A sandbox restarted after a crash
 * may be busy with the work the crash left (its API function can time out): it tries three times, then says
 * how to make a link later instead of stopping the sandbox, which would be one more crash mid-work.
 */
async function portalLink(endpoint: string, key: string): Promise<string> {
  let problem = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(`${endpoint}/v1/portal-sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ expires_in: 86_400 }),
      });
      const body = (await response.json()) as { url?: string; detail?: string };
      if (response.status === 201 && body.url !== undefined) return body.url;
      problem = `${response.status}: ${body.detail ?? ''}`;
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  console.error(`The portal link could not be made (${problem}); the sandbox runs on.`);
  return `not made now; POST ${endpoint}/v1/portal-sessions with the API key makes one`;
}

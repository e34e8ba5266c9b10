/**
 * Publishes demo events the way the shipping platform's services do: PutEvents on the bus with the AWS SDK,
 * one plausible event of any catalog type (bin/demo-events.ts). Against the sandbox by default; against AWS,
 * with your credentials and region, when --endpoint is ''.
 * Usage: npm run demo:publish -- [--type TYPE] [--count N] [--account ID] [--endpoint URL] [--bus NAME]
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { fail, parseOptions, usageError, wholeNumber } from './cli.ts';
import { type DemoEvent, demoEvent, demoEventTypes, isDemoEventType } from './demo-events.ts';

/** The valid types, a few to a line, indented to sit under --type's description. */
const typeList = demoEventTypes
  .reduce<string[]>((lines, type) => {
    const last = lines.at(-1);
    if (last !== undefined && last.length + type.length < 72) lines[lines.length - 1] = `${last}, ${type}`;
    else lines.push(type);
    return lines;
  }, [])
  .join(',\n                    ');

const usage = `Usage: npm run demo:publish -- [options]
Puts demo events of the shipping platform on the event bus, as its services do (EventBridge PutEvents).
  --type TYPE       the event type (default order.status_updated); one of
                    ${typeList}
  --count N         how many events, each about another resource, 1 to 1000 (default 1)
  --account ID      the account whose subscriptions get them (default demo, the sandbox's account)
  --endpoint URL    the sandbox (default http://127.0.0.1:4566); '' for AWS, with your credentials and region
  --bus NAME        the event bus (default webhooks)
  --occurred-at T   when it happened, an ISO 8601 time with an offset (default now); an older time than one
                    already delivered shows what an ordered subscription does with a late event
  --actor NAME      who acted (1 to 256 characters), e.g. ada@example.com: webhooks carry it as actor,
                    jwt ones as SMD-User (default: none)
  -h, --help        this text`;

const values = parseOptions(
  {
    type: { type: 'string', default: 'order.status_updated' },
    count: { type: 'string', default: '1' },
    account: { type: 'string', default: 'demo' },
    endpoint: { type: 'string', default: 'http://127.0.0.1:4566' },
    bus: { type: 'string', default: 'webhooks' },
    'occurred-at': { type: 'string' },
    actor: { type: 'string' },
  },
  usage,
);
const type = values.type;
if (!isDemoEventType(type)) {
  usageError(
    `--type '${type}' is not in the event catalog; valid types: ${demoEventTypes.join(', ')}`,
    usage,
  );
}
const count = wholeNumber('count', values.count, 1, 1000, usage);
if (!/^.{1,128}$/.test(values.account)) usageError('--account must be 1 to 128 characters', usage);
if (values.bus === '') usageError('--bus must name an event bus', usage);
const actor = values.actor;
if (actor !== undefined && !/^.{1,256}$/u.test(actor))
  usageError('--actor must be 1 to 256 characters', usage);
const occurredAt = values['occurred-at'];
if (
  occurredAt !== undefined &&
  !(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(occurredAt) &&
    !Number.isNaN(Date.parse(occurredAt))
  )
) {
  usageError(
    `--occurred-at must be an ISO 8601 time with an offset, e.g. 2026-12-01T10:00:00Z, not '${occurredAt}'`,
    usage,
  );
}
if (values.endpoint !== '' && !/^https?:\/\/[^/]/.test(values.endpoint)) {
  usageError(`--endpoint must be an http:// or https:// URL, or '' for AWS, not '${values.endpoint}'`, usage);
}

// Lambda runs Node.js 24; the SDK's notice about Node.js 20 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const events = new EventBridgeClient(
  values.endpoint === ''
    ? {}
    : {
        endpoint: values.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
      },
);

/** The system error code of a failed connection, wherever the SDK and Node put it (cause, AggregateError). */
function connectionErrorCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 5) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  return (
    connectionErrorCode(cause, depth + 1) ??
    (Array.isArray(errors) ? connectionErrorCode(errors[0], depth + 1) : undefined)
  );
}

function explain(error: unknown): string {
  const code = connectionErrorCode(error);
  if (code === 'ECONNREFUSED') {
    return `Nothing answers at ${values.endpoint}: start the sandbox with npm start, or point --endpoint at it.`;
  }
  const { name, message } = error as Error;
  return `PutEvents failed${code === undefined ? '' : ` (${code})`}: ${name}: ${message}`.replace(
    /\s*\n\s*/g,
    ' ',
  );
}

const toPublish: DemoEvent[] = Array.from({ length: count }, (_, n) => {
  const event = demoEvent(type, values.account, n, occurredAt);
  return actor === undefined ? event : { ...event, detail: { ...event.detail, actor } };
});
let failed = 0;
// PutEvents takes at most 10 entries; each entry of the answer belongs to the request entry at its index.
for (let start = 0; start < toPublish.length; start += 10) {
  const batch = toPublish.slice(start, start + 10);
  const entries: PutEventsRequestEntry[] = batch.map((event) => ({
    EventBusName: values.bus,
    Source: event.source,
    DetailType: event.type,
    Detail: JSON.stringify(event.detail),
  }));
  const result = await events.send(new PutEventsCommand({ Entries: entries })).catch((error: unknown) => {
    fail(explain(error));
  });
  batch.forEach((event, index) => {
    const entry = result.Entries?.[index];
    if (entry?.EventId !== undefined && entry.ErrorCode === undefined) {
      console.log(`Sent ${event.type} ${event.detail.id} (EventId ${entry.EventId})`);
    } else {
      failed++;
      const reason = entry?.ErrorCode
        ? `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`
        : 'no answer for it';
      console.error(`Not sent ${event.type} ${event.detail.id}: ${reason}`);
    }
  });
}
if (failed > 0) fail(`${failed} of ${count} events were refused by PutEvents (FailedEntryCount).`);

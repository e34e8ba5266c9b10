import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { colourWanted } from '../../sandbox/console/colour.ts';
import { consoleLine } from '../../sandbox/console/console-line.ts';
import { DeliveryTally } from '../../sandbox/console/delivery-tally.ts';
import { type FunctionRecord, functionRecordOf } from '../../sandbox/console/function-log.ts';
import { heldLinesAtMost, startConsole } from '../../sandbox/console/live-console.ts';
import { batchRetriedLine } from '../../sandbox/console/sandbox-warning.ts';

/** 12:04:31.207 on this machine's clock, as Powertools writes it (UTC). */
const at = (seconds = 31, ms = 207) => new Date(2026, 11, 7, 12, 4, seconds, ms).toISOString();

/** A record as the delivery handler logs it (functions/delivery/handler.ts), read back as the console reads it. */
function logged(message: string, fields: Record<string, unknown> = {}, level = 'INFO'): FunctionRecord {
  const line = JSON.stringify({
    level,
    message,
    timestamp: at(),
    service: 'delivery',
    cold_start: false,
    deliveryId: 'msg_1',
    subscriptionId: 'sub_1',
    subscriptionName: 'My endpoint',
    eventType: 'order.created',
    scheduledAttempt: 1,
    trigger: 'event',
    lane: 'main',
    ...fields,
  });
  const record = functionRecordOf(line);
  if (record === undefined) throw new Error(`not a record: ${line}`);
  return record;
}

const answered = (statusCode: number, latencyMs: number) => ({
  outcome: { kind: 'response', statusCode, excerpt: '', latencyMs, setupMs: 1, answerMs: latencyMs - 1 },
});
const failedWith = (errorKind: string, error: string, latencyMs: number) => ({
  outcome: { kind: 'error', errorKind, error, latencyMs, setupMs: latencyMs },
});
const plain = { colour: false };

describe('the console line of a delivery attempt', () => {
  it('says when it was, what, to whom, the answer, the latency, that it is delivered, and the webhook-id', () => {
    const record = logged('Webhook delivered', { summary: 'delivered', ...answered(200, 143) });

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  order.created     → My endpoint     200 OK               143 ms  delivered  msg_1',
    );
  });

  it('says when an HTTP error is retried', () => {
    const record = logged('Delivery attempt failed; retry scheduled', {
      delaySeconds: 30,
      ...answered(503, 12),
    });

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  order.created     → My endpoint     503                   12 ms  retry in 30s  msg_1',
    );
  });

  it('gives a timeout its kind and the wait before the retry in minutes', () => {
    const record = logged('Delivery attempt failed; retry scheduled', {
      delaySeconds: 330,
      ...failedWith('timeout', 'No answer within 30000 ms', 30_004),
    });

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  order.created     → My endpoint     timeout             30004 ms  retry in 5m 30s  msg_1',
    );
  });

  it('says why a delivery to a blocked address failed for good, on one line', () => {
    const record = logged(
      'Delivery failed for good',
      {
        subscriptionName: 'Old host',
        eventType: 'shipment.created',
        reason: 'the URL resolves to a private address\n(10.0.0.7)',
        ...failedWith('blocked_address', 'Blocked: 10.0.0.7 is a private address', 2),
      },
      'WARN',
    );

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  shipment.created  → Old host        blocked_address        2 ms  failed: the URL resolves to a private address (10.0.0.7)  msg_1',
    );
  });

  it('says that a cut-off attempt moved its delivery to the slow lane', () => {
    const record = logged('Delivery moved to the slow lane', {
      reason: 'no answer within 5000 ms',
      ...failedWith('timeout', 'No answer within 5000 ms', 5001),
    });

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  order.created     → My endpoint     timeout             5001 ms  moved to the slow lane  msg_1',
    );
  });

  it('gives the reason of a move made without an attempt, and the subscription id when it has no name', () => {
    const record = logged('Delivery moved to the slow lane', {
      subscriptionName: undefined,
      reason: 'the endpoint is slow',
    });

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  order.created     → sub_1           moved to the slow lane: the endpoint is slow  msg_1',
    );
  });

  it('says that a delivery is held while its circuit is open', () => {
    expect(consoleLine(logged('Delivery held: the endpoint’s circuit is open'), plain)).toBe(
      '12:04:31.207  order.created     → My endpoint     held: its circuit is open  msg_1',
    );
  });

  it('colours a success green, a retry yellow and a failure red, and leaves the words as they are', () => {
    const colour = { colour: true };
    const delivered = consoleLine(logged('Webhook delivered', answered(200, 143)), colour) ?? '';
    const retried =
      consoleLine(
        logged('Delivery attempt failed; retry scheduled', { delaySeconds: 5, ...answered(500, 3) }),
        colour,
      ) ?? '';
    const failed =
      consoleLine(
        logged('Delivery failed for good', { reason: 'gone', ...answered(410, 3) }, 'WARN'),
        colour,
      ) ?? '';

    expect(delivered).toContain('\u001b[32m200 OK');
    expect(delivered).toContain('\u001b[32mdelivered\u001b[39m');
    expect(retried).toContain('\u001b[33mretry in 5s\u001b[39m');
    expect(failed).toContain('\u001b[31mfailed: gone\u001b[39m');
    expect(stripVTControlCharacters(failed)).toBe(
      consoleLine(logged('Delivery failed for good', { reason: 'gone', ...answered(410, 3) }, 'WARN'), plain),
    );
  });
});

describe('the console line of other records', () => {
  it('says that an event matched no subscription of its account, and nothing of one fanned out to some', () => {
    const fannedOut = (deliveries: number) =>
      logged('Event fanned out', {
        service: 'fan-out',
        eventId: 'evt_1',
        type: 'order.created',
        accountId: 'acct_demo',
        deliveries,
      });

    expect(consoleLine(fannedOut(0), plain)).toBe(
      '12:04:31.207  order.created     matched no subscription of acct_demo (event evt_1)',
    );
    expect(consoleLine(fannedOut(2), plain)).toBeUndefined();
  });

  it('gives any function’s warning or error its level, function, message and error, on one line', () => {
    const record = logged(
      'Request failed',
      { service: 'api', error: { name: 'TypeError', message: 'x is\nundefined', stack: 'at ...' } },
      'ERROR',
    );

    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  ERROR  api: Request failed (TypeError: x is undefined)',
    );
    expect(consoleLine(logged('Invalid event dead-lettered', { reason: 'no detail' }, 'WARN'), plain)).toBe(
      '12:04:31.207  WARN   delivery: Invalid event dead-lettered: no detail',
    );
  });

  it('leaves out other info records', () => {
    expect(consoleLine(logged('Something routine'), plain)).toBeUndefined();
  });

  it('says nothing of an event already fanned out, which a retried batch meets again', () => {
    const repeat = logged('Event already fanned out', {
      service: 'fan-out',
      eventId: 'evt_1',
      type: 'order.created',
      repeat: true,
    });

    expect(consoleLine(repeat, plain)).toBeUndefined();
  });

  it('says nothing of a hand-back, which sent no request, but counts its delivery pending', () => {
    const handedBack = logged('Delivery done', {
      summary: 'handed back: too little time left in this invocation for the attempt',
    });
    const tally = new DeliveryTally();
    tally.observe(handedBack);

    expect(consoleLine(handedBack, plain)).toBeUndefined();
    expect(tally.summary()).toBe(
      'Deliveries this run: 0 attempts, 0 delivered, 0 failed for good, 1 pending (retry, slow lane or held).',
    );
  });
});

describe('the console line of a circuit’s probe', () => {
  const probe = (fields: Record<string, unknown>) =>
    logged('Circuit probed', {
      deliveryId: 'msg_held',
      circuitMessage: 'probe',
      lane: 'slow',
      summary: 'still open: the probe failed (HTTP 503); next in 10 s',
      ...answered(503, 7),
      ...fields,
    });

  it('says it was a probe, of which subscription by name, its answer, and the held delivery it carried', () => {
    expect(consoleLine(probe({}), plain)).toBe(
      '12:04:31.207  circuit probe     → My endpoint     503                    7 ms  still open: the probe failed (HTTP 503); next in 10 s  msg_held',
    );
  });

  it('prints nothing for a stale probe, which sent no request (a failing endpoint makes bursts of them)', () => {
    const stale = logged('Circuit probed', {
      circuitMessage: 'probe',
      summary: 'dropped: a stale probe (the circuit moved on)',
    });
    expect(consoleLine(stale, plain)).toBeUndefined();
  });
});

describe('text from users and endpoints on the console', () => {
  /** The C0 and C1 controls, DEL and bidirectional controls in `text`, as code points. */
  const controlsIn = (text: string) =>
    [...text]
      .map((character) => character.codePointAt(0) ?? 0)
      .filter(
        (code) =>
          code < 0x20 ||
          (code >= 0x7f && code <= 0x9f) ||
          (code >= 0x202a && code <= 0x202e) ||
          (code >= 0x2066 && code <= 0x2069),
      );

  it('cannot clear the screen, move the cursor or set the title: each control character shows as its escape', () => {
    const record = logged(
      'Delivery failed for good',
      {
        subscriptionName: 'Evil\u001b[2J',
        eventType: 'order.\u009b31m',
        reason: 'endpoint said \u001b]0;pwned\u0007 then\r\u0000\u007f\u202eevil',
        ...answered(410, 3),
      },
      'WARN',
    );

    const line = consoleLine(record, { colour: true }) ?? '';

    // Only the console's own colours are escapes; the text between them has no control character left.
    expect(controlsIn(stripVTControlCharacters(line))).toEqual([]);
    expect(stripVTControlCharacters(line)).toBe(consoleLine(record, plain));
    expect(consoleLine(record, plain)).toBe(
      '12:04:31.207  order.\\x9b31m     → Evil\\x1b[2J     410 Gone               3 ms  failed: endpoint said \\x1b]0;pwned\\x07 then \\x00\\x7f\\u202eevil  msg_1',
    );
  });

  it('escapes them in a warning’s message and error too, and in the summary’s names', () => {
    const warning = logged(
      'Request failed \u001b[1A',
      { service: 'api', error: { name: 'Error\u0008', message: 'bad\u001b[K' } },
      'ERROR',
    );
    const tally = new DeliveryTally();
    tally.observe(logged('Webhook delivered', { subscriptionName: 'A\u001b[2J', ...answered(200, 1) }));
    tally.observe(
      logged('Webhook delivered', { subscriptionId: 'sub_2', subscriptionName: 'B', ...answered(200, 1) }),
    );

    expect(consoleLine(warning, plain)).toBe(
      '12:04:31.207  ERROR  api: Request failed \\x1b[1A (Error\\x08: bad\\x1b[K)',
    );
    expect(tally.summary()).toContain('  A\\x1b[2J  1 attempt');
  });
});

describe('whether the console colours', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true],
  ])('with %j on a terminal: %s gives %s', (env, isTTY, wanted) => {
    expect(colourWanted(env, isTTY)).toBe(wanted);
  });
});

describe('the summary when the sandbox stops', () => {
  it('counts attempts, deliveries delivered and failed for good, and those still pending, per subscription', () => {
    const tally = new DeliveryTally();
    const billing = { subscriptionId: 'sub_2', subscriptionName: 'Billing' };
    for (const record of [
      logged('Webhook delivered', answered(200, 5)),
      logged('Delivery attempt failed; retry scheduled', {
        deliveryId: 'msg_2',
        delaySeconds: 5,
        ...answered(500, 5),
      }),
      logged('Webhook delivered', { deliveryId: 'msg_2', ...answered(200, 5) }),
      logged('Delivery attempt failed; retry scheduled', {
        ...billing,
        deliveryId: 'msg_3',
        ...answered(503, 5),
      }),
      logged('Delivery failed for good', { ...billing, deliveryId: 'msg_4', ...answered(410, 5) }, 'WARN'),
      logged('Event fanned out', { service: 'fan-out', deliveryId: undefined, deliveries: 0 }),
    ]) {
      tally.observe(record);
    }

    expect(tally.summary()).toBe(
      [
        'Deliveries this run: 5 attempts, 2 delivered, 1 failed for good, 1 pending (retry, slow lane or held).',
        '  My endpoint  3 attempts, 2 delivered, 0 failed for good, 0 pending (retry, slow lane or held)',
        '  Billing      2 attempts, 0 delivered, 1 failed for good, 1 pending (retry, slow lane or held)',
      ].join('\n'),
    );
  });

  it('keeps two subscriptions of the same name apart, showing their ids', () => {
    const tally = new DeliveryTally();
    tally.observe(logged('Webhook delivered', answered(200, 5)));
    tally.observe(
      logged('Webhook delivered', { deliveryId: 'msg_2', subscriptionId: 'sub_2', ...answered(200, 5) }),
    );
    tally.observe(
      logged(
        'Delivery failed for good',
        { deliveryId: 'msg_3', subscriptionId: 'sub_2', ...answered(410, 5) },
        'WARN',
      ),
    );

    expect(tally.summary().split('\n').slice(1)).toEqual([
      '  My endpoint (sub_1)  1 attempt, 1 delivered, 0 failed for good, 0 pending (retry, slow lane or held)',
      '  My endpoint (sub_2)  2 attempts, 1 delivered, 1 failed for good, 0 pending (retry, slow lane or held)',
    ]);
  });

  it('counts a circuit’s probes as attempts of their subscription: a failed one leaves its delivery held', () => {
    const tally = new DeliveryTally();
    const held = { deliveryId: 'msg_held' };
    const probed = (fields: Record<string, unknown>) =>
      logged('Circuit probed', { ...held, circuitMessage: 'probe', eventType: 'order.created', ...fields });
    for (const record of [
      logged('Delivery attempt failed; retry scheduled', { ...held, delaySeconds: 5, ...answered(503, 5) }),
      logged('Delivery held: the endpoint’s circuit is open', held),
      probed({ summary: 'still open: the probe failed (HTTP 503); next in 10 s', ...answered(503, 5) }),
      // A stale probe sends nothing: no delivery, no attempt.
      logged('Circuit probed', {
        deliveryId: undefined,
        summary: 'dropped: a stale probe (the circuit moved on)',
      }),
      logged('Webhook delivered', {
        subscriptionId: 'sub_2',
        subscriptionName: 'Other',
        ...answered(200, 5),
      }),
    ]) {
      tally.observe(record);
    }
    const stillHeld = tally.summary();
    tally.observe(probed({ summary: 'closed: the probe was answered', ...answered(200, 5) }));

    expect(stillHeld.split('\n')).toEqual([
      'Deliveries this run: 3 attempts, 1 delivered, 0 failed for good, 1 pending (retry, slow lane or held).',
      '  My endpoint  2 attempts, 0 delivered, 0 failed for good, 1 pending (retry, slow lane or held)',
      '  Other        1 attempt, 1 delivered, 0 failed for good, 0 pending (retry, slow lane or held)',
    ]);
    expect(tally.summary().split('\n')[1]).toBe(
      '  My endpoint  3 attempts, 1 delivered, 0 failed for good, 0 pending (retry, slow lane or held)',
    );
  });

  it('counts a delivery once, where it ended: failed for good, then recovered, is delivered', () => {
    const tally = new DeliveryTally();
    for (const record of [
      logged('Delivery attempt failed; retry scheduled', { delaySeconds: 1, ...answered(500, 5) }),
      logged('Delivery failed for good', answered(500, 5), 'WARN'),
      logged('Webhook delivered', { ...answered(200, 5), trigger: 'manual' }),
      // The scheduled message left behind by the manual retry finds the delivery ended.
      logged('Delivery done', { summary: 'dropped: delivered meanwhile' }),
    ]) {
      tally.observe(record);
    }

    expect(tally.summary()).toBe(
      'Deliveries this run: 3 attempts, 1 delivered, 0 failed for good, 0 pending (retry, slow lane or held).',
    );
  });

  it('counts a delivery dropped unsent (its subscription deleted) where it ended, and its subscription’s attempts', () => {
    const tally = new DeliveryTally();
    const deleted = { deliveryId: 'msg_3', subscriptionId: 'sub_deleted', subscriptionName: 'Deleted' };
    tally.observe(logged('Webhook delivered', answered(200, 5)));
    tally.observe(
      logged('Delivery attempt failed; retry scheduled', {
        ...deleted,
        delaySeconds: 5,
        ...answered(500, 5),
      }),
    );
    tally.observe(logged('Delivery done', { ...deleted, summary: 'dropped: subscription deleted' }));

    expect(tally.summary().split('\n')).toEqual([
      'Deliveries this run: 2 attempts, 1 delivered, 0 failed for good, 1 dropped unsent, 0 pending (retry, slow lane or held).',
      '  My endpoint  1 attempt, 1 delivered, 0 failed for good, 0 pending (retry, slow lane or held)',
      '  Deleted      1 attempt, 0 delivered, 0 failed for good, 1 dropped unsent, 0 pending (retry, slow lane or held)',
    ]);
  });

  it('keeps a delivery pending when a stale message of it is dropped: its own message is still to come', () => {
    const tally = new DeliveryTally();
    tally.observe(
      logged('Delivery attempt failed; retry scheduled', { delaySeconds: 5, ...answered(500, 5) }),
    );
    tally.observe(
      logged('Delivery done', { summary: 'dropped: a stale message (the delivery moved on without it)' }),
    );

    expect(tally.summary()).toBe(
      'Deliveries this run: 1 attempt, 0 delivered, 0 failed for good, 1 pending (retry, slow lane or held).',
    );
  });

  it('says so when nothing was attempted', () => {
    expect(new DeliveryTally().summary()).toBe('Deliveries this run: none attempted.');
  });
});

describe('the console on the process’s streams', () => {
  /** A stream that keeps what is written to it, one entry a write. */
  function capture() {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString('utf8'));
        done();
      },
    });
    return { writes, stream: stream as Writable & NodeJS.WriteStream };
  }
  const recordLine = (message: string, fields: Record<string, unknown> = {}, level = 'INFO') =>
    `${JSON.stringify(logged(message, fields, level))}\n`;

  it('writes each record’s line in place of its JSON, other output as it is, and counts for the summary', () => {
    const { writes, stream } = capture();
    const console = startConsole({ format: 'pretty', quiet: false, colour: false }, [stream]);
    stream.write('Endpoint: http://127.0.0.1:4566\n');
    stream.write(recordLine('Webhook delivered', answered(200, 143)));
    stream.write(recordLine('Something routine'));
    console.stop();
    stream.write(recordLine('Webhook delivered'));

    expect(writes).toEqual([
      'Endpoint: http://127.0.0.1:4566\n',
      '12:04:31.207  order.created     → My endpoint     200 OK               143 ms  delivered  msg_1\n',
      recordLine('Webhook delivered'),
    ]);
    expect(console.summary()).toContain('1 attempt, 1 delivered');
  });

  it('keeps the JSON lines exactly in the JSON format, and shows only warnings and errors when quiet', () => {
    const json = capture();
    const quiet = capture();
    const jsonConsole = startConsole({ format: 'json', quiet: false, colour: false }, [json.stream]);
    const quietConsole = startConsole({ format: 'pretty', quiet: true, colour: false }, [quiet.stream]);
    const lines = [
      recordLine('Webhook delivered', answered(200, 143)),
      recordLine('Delivery failed for good', { reason: 'gone' }, 'WARN'),
    ];
    for (const line of lines) {
      json.stream.write(line);
      quiet.stream.write(line);
    }
    jsonConsole.stop();
    quietConsole.stop();

    expect(json.writes).toEqual(lines);
    expect(quiet.writes).toEqual(['12:04:31.207  order.created     → My endpoint     failed: gone  msg_1\n']);
  });

  it('holds the function lines until the banner is printed, then writes them after it', () => {
    const out = capture();
    const err = capture();
    const console = startConsole({ format: 'pretty', quiet: false, colour: false }, [out.stream, err.stream]);
    out.stream.write('State: in memory\n');
    out.stream.write(recordLine('Webhook delivered', answered(200, 143)));
    err.stream.write(recordLine('Delivery failed for good', { reason: 'gone' }, 'WARN'));
    out.stream.write('Portal: http://127.0.0.1:4566/portal/\n');
    out.stream.write('Ready. Ctrl+C stops the sandbox.\n');
    const banner = [...out.writes, ...err.writes];
    console.ready();
    out.stream.write(recordLine('Webhook delivered', { deliveryId: 'msg_2', ...answered(200, 7) }));
    console.stop();

    expect(banner).toEqual([
      'State: in memory\n',
      'Portal: http://127.0.0.1:4566/portal/\n',
      'Ready. Ctrl+C stops the sandbox.\n',
    ]);
    expect(out.writes.slice(3)).toEqual([
      '12:04:31.207  order.created     → My endpoint     200 OK               143 ms  delivered  msg_1\n',
      '12:04:31.207  order.created     → My endpoint     200 OK                 7 ms  delivered  msg_2\n',
    ]);
    expect(err.writes).toEqual(['12:04:31.207  order.created     → My endpoint     failed: gone  msg_1\n']);
  });

  it('holds at most so many lines, and says how many more it left out', () => {
    const { writes, stream } = capture();
    const console = startConsole({ format: 'pretty', quiet: false, colour: false }, [stream]);
    for (let n = 0; n < heldLinesAtMost + 5; n++) {
      stream.write(recordLine('Webhook delivered', answered(200, 5)));
    }
    console.ready();
    console.stop();

    expect(writes).toHaveLength(heldLinesAtMost + 1);
    expect(writes.at(-1)).toBe(
      '… and 5 more lines while the sandbox started, not shown (the summary at the stop counts them)\n',
    );
    expect(console.summary()).toContain(`${heldLinesAtMost + 5} attempts`);
  });

  it('shows the sandbox’s warning of a retried batch on one line, and keeps its stack trace in the JSON format', () => {
    const pretty = capture();
    const json = capture();
    const prettyConsole = startConsole({ format: 'pretty', quiet: false, colour: false }, [pretty.stream]);
    const jsonConsole = startConsole({ format: 'json', quiet: false, colour: false }, [json.stream]);
    const warning =
      '[event-source-mapping] fanOut failed; the batch will be retried: Sandbox.Timedout: Task timed out after 5.00 seconds\n' +
      '    at Timeout._onTimeout (sandbox/lambda-runtime.ts:93:13)\n    at listOnTimeout (node:internal/timers:581:17)\n';
    prettyConsole.ready();
    pretty.stream.write(warning);
    json.stream.write(warning);
    prettyConsole.stop();
    jsonConsole.stop();

    expect(pretty.writes).toHaveLength(1);
    expect(pretty.writes[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}WARN {3}fanOut: batch failed, retried: Task timed out after 5\.00 seconds\n$/,
    );
    expect(json.writes).toEqual([warning]);
  });
});

describe('the sandbox’s warning of a retried batch', () => {
  const at1204 = new Date(2026, 11, 7, 12, 4, 31, 207);

  it('keeps the name of an error its message does not speak for, and nothing of other output', () => {
    const typeError =
      '[event-source-mapping] delivery failed; the batch will be retried: TypeError: x is undefined\n    at f (a.ts:1:1)\n';

    expect(batchRetriedLine(typeError, false, at1204)).toBe(
      '12:04:31.207  WARN   delivery: batch failed, retried: TypeError: x is undefined\n',
    );
    expect(
      batchRetriedLine('[event-source-mapping] receive from q failed: boom\n', false, at1204),
    ).toBeUndefined();
  });
});

import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { answerTimeSampler } from '../support/answer-times.ts';
import {
  type EndpointSpec,
  type ReceiverFarm,
  startReceiverFarm,
  testCaPath,
} from '../support/receiver-farm.ts';

const testCa = readFileSync(testCaPath);

// Timers never fire early, but the clock reads around them may round down by a fraction of a millisecond.
const clockSlackMs = 3;

const farms: ReceiverFarm[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.destroy()));
  await Promise.all(farms.splice(0).map((farm) => farm.close()));
});

async function farmOf(...endpoints: EndpointSpec[]): Promise<ReceiverFarm> {
  const farm = await startReceiverFarm(endpoints);
  farms.push(farm);
  return farm;
}

/** An undici agent that trusts the test CA only (`ca` replaces Node's root certificates). */
function trustingAgent(options: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const agent = new Agent({ ...options, connect: { ca: testCa } });
  agents.push(agent);
  return agent;
}

/** POSTs a webhook and reads the whole answer. */
async function post(url: string, dispatcher: Agent, webhookId = 'msg_test', signal?: AbortSignal) {
  const sent = performance.now();
  const response = await request(url, {
    method: 'POST',
    dispatcher,
    signal,
    headers: { 'content-type': 'application/json', 'webhook-id': webhookId },
    body: JSON.stringify({ type: 'order.updated', id: webhookId }),
  });
  const body = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    body,
    elapsedMs: performance.now() - sent,
  };
}

/** The error a promise rejects with (failing the test if it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const outcome = await promise.then(
    () => undefined,
    (error: Error & { code?: string }) => error,
  );
  if (outcome === undefined) throw new Error('Expected a rejection, got an answer');
  return outcome;
}

describe('The receiver farm', { timeout: 10_000 }, () => {
  it('serves each endpoint over TLS on an address of its own, to a client that trusts only the test CA', async () => {
    const farm = await farmOf({ name: 'alpha' }, { name: 'beta' }, { name: 'gamma', host: '127.0.0.9' });
    const [alpha, beta, gamma] = farm.endpoints;
    const agent = trustingAgent();

    const fromAlpha = await post(farm.endpoint('alpha').url, agent, 'msg_alpha');
    const fromBeta = await post(farm.endpoint('beta').url, agent, 'msg_beta');

    expect(alpha?.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+\/webhooks\/alpha$/);
    expect(beta?.url).toMatch(/^https:\/\/127\.0\.0\.3:\d+\/webhooks\/beta$/);
    expect(gamma?.url).toMatch(/^https:\/\/127\.0\.0\.9:\d+\/webhooks\/gamma$/);
    expect(fromAlpha).toMatchObject({ status: 200, body: '{"received":true}' });
    expect(fromBeta).toMatchObject({ status: 200, body: '{"received":true}' });
    expect(alpha?.requests).toEqual([
      {
        arrivedAt: expect.any(Number),
        webhookId: 'msg_alpha',
        body: '{"type":"order.updated","id":"msg_alpha"}',
        status: 200,
        answerMs: 0,
        answeredAt: expect.any(Number),
      },
    ]);
    expect(alpha?.idsAccepted()).toEqual(['msg_alpha']);
    expect(beta?.idsAccepted()).toEqual(['msg_beta']);
    expect(gamma?.requests).toEqual([]);
    expect(farm.totals()).toEqual({
      requests: 2,
      accepted: 2,
      unanswered: 0,
      byStatus: { 200: 2 },
      newConnections: 2,
      failedHandshakes: 0,
    });
  });

  it("presents a certificate that verifies against the test CA for the endpoint's IP address", async () => {
    const farm = await farmOf({ name: 'alpha' }, { name: 'beta' });
    const beta = farm.endpoint('beta');

    const socket = tlsConnect({ host: beta.host, port: beta.port, ca: testCa });
    try {
      await new Promise<void>((resolve, reject) =>
        socket.once('secureConnect', resolve).once('error', reject),
      );

      expect(socket.authorized).toBe(true);
      expect(socket.getProtocol()).toBe('TLSv1.3');
      expect(socket.getPeerCertificate().subjectaltname).toContain('IP Address:127.0.0.3,');
      expect(socket.getPeerCertificate().issuer.CN).toBe('Hookbridge test CA (tests only)');
    } finally {
      socket.destroy();
    }
  });

  it('fails the TLS handshake of a client that does not trust the test CA', async () => {
    const farm = await farmOf({ name: 'alpha' });
    const untrusting = new Agent();
    agents.push(untrusting);

    const error = await rejectionOf(post(farm.endpoint('alpha').url, untrusting));

    expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(farm.endpoint('alpha').requests).toEqual([]);
    expect(farm.endpoint('alpha').newConnections).toBe(0);
  });

  it('delays a new connection by 2 RTT and every request by 1 RTT plus its answer time', async () => {
    const rttMs = 100;
    const answerMs = 50;
    const farm = await farmOf({ name: 'far', rttMs, answerTime: { fixedMs: answerMs } });
    const far = farm.endpoint('far');
    const agent = trustingAgent({ connections: 1 });

    const onNewConnection = await post(far.url, agent, 'msg_1');
    const onSameConnection = await post(far.url, agent, 'msg_2');

    expect(onNewConnection.status).toBe(200);
    expect(onSameConnection.status).toBe(200);
    expect(onNewConnection.elapsedMs).toBeGreaterThanOrEqual(3 * rttMs + answerMs - clockSlackMs);
    expect(onSameConnection.elapsedMs).toBeGreaterThanOrEqual(rttMs + answerMs - clockSlackMs);
    // The kept-alive connection skips the handshake's 2 RTT; at least one of them must show.
    expect(onSameConnection.elapsedMs).toBeLessThan(onNewConnection.elapsedMs - rttMs);
    expect(far.newConnections).toBe(1);
    for (const record of far.requests) {
      expect(record.answerMs).toBe(answerMs);
      expect(record.answeredAt - record.arrivedAt).toBeGreaterThanOrEqual(
        answerMs + rttMs / 2 - clockSlackMs,
      );
    }
  });

  it('counts one new connection per TLS handshake, not per request', async () => {
    const farm = await farmOf({ name: 'alpha' });
    const alpha = farm.endpoint('alpha');

    const first = trustingAgent({ connections: 1 });
    await post(alpha.url, first, 'msg_1');
    await post(alpha.url, first, 'msg_2');
    const countAfterOneClient = alpha.newConnections;
    await post(alpha.url, trustingAgent({ connections: 1 }), 'msg_3');

    expect(countAfterOneClient).toBe(1);
    expect(alpha.newConnections).toBe(2);
    expect(alpha.idsAccepted()).toEqual(['msg_1', 'msg_2', 'msg_3']);
  });

  it('waits, per request, the answer times its seed draws, in order', async () => {
    const answerTime = { p50Ms: 5, p99Ms: 30 };
    const farm = await farmOf({ name: 'alpha', answerTime, seed: 11 });
    const agent = trustingAgent({ connections: 1 });

    for (const n of [1, 2, 3, 4, 5]) await post(farm.endpoint('alpha').url, agent, `msg_${n}`);

    const draw = answerTimeSampler(answerTime, 11);
    expect(farm.endpoint('alpha').requests.map((record) => record.answerMs)).toEqual([
      draw(),
      draw(),
      draw(),
      draw(),
      draw(),
    ]);
  });

  it('lets N requests a second through at capacity N and answers the rest 429 with Retry-After: 1', async () => {
    const perSecond = 5;
    const farm = await farmOf({ name: 'busy', rttMs: 10 });
    const busy = farm.endpoint('busy');
    const agent = trustingAgent();
    // Opens the connections first, so the burst's arrival does not wait on 3N TLS handshakes (slow on a busy CI).
    await Promise.all(
      Array.from({ length: 3 * perSecond }, (_, n) => post(busy.url, agent, `msg_warm_${n}`)),
    );
    await busy.behave({ kind: 'capacity', perSecond });
    busy.clearRecords();

    const burst = await Promise.all(
      Array.from({ length: 3 * perSecond }, (_, n) => post(busy.url, agent, `msg_${n}`)),
    );
    const arrivals = busy.requests.map((record) => record.arrivedAt);
    const spreadMs = Math.max(...arrivals) - Math.min(...arrivals);
    // Once the last request let through is more than 1 s old, the window has room again.
    const windowFreesAt = Math.max(...busy.accepted().map((record) => record.arrivedAt)) + 1_000;
    await new Promise((resolve) =>
      setTimeout(resolve, windowFreesAt + 20 - (performance.timeOrigin + performance.now())),
    );
    const afterTheWindow = await post(busy.url, agent, 'msg_later');

    expect(spreadMs).toBeLessThan(1_000);
    expect(burst.filter((answer) => answer.status === 200)).toHaveLength(perSecond);
    const limited = burst.filter((answer) => answer.status === 429);
    expect(limited).toHaveLength(2 * perSecond);
    expect(limited.map((answer) => answer.headers['retry-after'])).toEqual(Array(2 * perSecond).fill('1'));
    expect(afterTheWindow.status).toBe(200);
    expect(busy.totals().byStatus).toEqual({ 200: perSecond + 1, 429: 2 * perSecond });
    expect(busy.requestsPerSecond().reduce((sum, count) => sum + count, 0)).toBe(3 * perSecond + 1);
  });

  it('answers 503, with Retry-After when asked, while unavailable, and 200 once healthy again', async () => {
    const farm = await farmOf({ name: 'down', behaviour: 'unavailable' });
    const down = farm.endpoint('down');
    const agent = trustingAgent();

    const plain = await post(down.url, agent, 'msg_1');
    await down.behave({ kind: 'unavailable', retryAfterSeconds: 30 });
    const withRetryAfter = await post(down.url, agent, 'msg_2');
    await down.behave('healthy');
    const recovered = await post(down.url, agent, 'msg_3');

    expect(plain.status).toBe(503);
    expect(plain.headers['retry-after']).toBeUndefined();
    expect(withRetryAfter.status).toBe(503);
    expect(withRetryAfter.headers['retry-after']).toBe('30');
    expect(recovered.status).toBe(200);
    expect(down.idsAccepted()).toEqual(['msg_3']);
    expect(down.totals().byStatus).toEqual({ 200: 1, 503: 2 });
  });

  it('refuses connections while refusing, and answers on the same address and port once healthy again', async () => {
    const farm = await farmOf({ name: 'gone' });
    const gone = farm.endpoint('gone');
    const { url, port } = gone;
    const keptAlive = trustingAgent({ connections: 1 });
    const before = await post(url, keptAlive, 'msg_1');

    await gone.behave('refuse');
    const onNewConnection = await rejectionOf(post(url, trustingAgent(), 'msg_2'));
    const onKeptAliveConnection = await rejectionOf(post(url, keptAlive, 'msg_3'));
    await gone.behave('healthy');
    const after = await post(url, keptAlive, 'msg_4');

    expect(before.status).toBe(200);
    expect(onNewConnection.code).toBe('ECONNREFUSED');
    // The server dropped the pooled connection: the client finds out either by writing on it, or, if it saw the
    // close first, by connecting anew and being refused.
    expect(['UND_ERR_SOCKET', 'ECONNREFUSED']).toContain(onKeptAliveConnection.code);
    expect(after.status).toBe(200);
    expect(gone.port).toBe(port);
    expect(gone.idsAccepted()).toEqual(['msg_1', 'msg_4']);
    expect(gone.newConnections).toBe(2);
  });

  it('never answers while hanging, and records the request as unanswered', async () => {
    const farm = await farmOf({ name: 'stuck', behaviour: 'hang' });
    const stuck = farm.endpoint('stuck');

    const error = await rejectionOf(post(stuck.url, trustingAgent(), 'msg_1', AbortSignal.timeout(1_000)));

    expect(error.name).toBe('TimeoutError');
    expect(stuck.requests).toHaveLength(1);
    expect(stuck.requests[0]).toMatchObject({ webhookId: 'msg_1', status: 0, answeredAt: 0 });
    expect(stuck.totals()).toMatchObject({ requests: 1, accepted: 0, unanswered: 1 });
  });
});

describe('Answer times', () => {
  const skewed = { p50Ms: 150, p99Ms: 2_500 };

  it('are drawn log-normally around the median and the 99th percentile asked for', () => {
    const draws = Array.from({ length: 400 }, answerTimeSampler(skewed, 42)).sort((a, b) => a - b);
    const median = ((draws[199] ?? 0) + (draws[200] ?? 0)) / 2;
    // mu = ln 150, sigma = ln(2500/150) / 2.3263 = 1.2094: the 90th percentile is 150 e^(1.2816 sigma) = 706 ms.
    const p90 = draws[359] ?? 0;

    expect(median).toBeGreaterThan(150 * 0.85);
    expect(median).toBeLessThan(150 * 1.15);
    expect(p90).toBeGreaterThan(706 * 0.75);
    expect(p90).toBeLessThan(706 * 1.25);
    expect(draws[0]).toBeGreaterThan(0);
  });

  it('repeat for a seed and differ between seeds', () => {
    const first = Array.from({ length: 20 }, answerTimeSampler(skewed, 42));
    const again = Array.from({ length: 20 }, answerTimeSampler(skewed, 42));
    const otherSeed = Array.from({ length: 20 }, answerTimeSampler(skewed, 43));

    expect(again).toEqual(first);
    expect(otherSeed).not.toEqual(first);
  });

  it('are the same every time when fixed, and refuse a median above the 99th percentile', () => {
    const fixed = answerTimeSampler({ fixedMs: 250 }, 1);

    expect([fixed(), fixed(), fixed()]).toEqual([250, 250, 250]);
    expect(() => answerTimeSampler({ p50Ms: 300, p99Ms: 200 }, 1)).toThrow(RangeError);
  });
});

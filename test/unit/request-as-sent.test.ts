import { describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '#core/deliveries/delivery-message.ts';
import type { DeliveryRecord } from '#core/deliveries/delivery-record.ts';
import { attemptOf } from '#core/deliveries/delivery-record.ts';
import { requestAsSent } from '#core/deliveries/request-as-sent.ts';
import type { AttemptOutcome } from '#core/egress/attempt.ts';
import { sentHeaders } from '#core/egress/request-headers.ts';
import { encodeJwtKey } from '#core/payloads/jwt-payload.ts';
import { webhookRequest } from '#core/payloads/webhook-request.ts';
import type { Subscription } from '#core/subscriptions/subscription.ts';
import { aSubscription } from '../support/subscriptions.ts';

const body = JSON.stringify({
  id: 'evt_1',
  type: 'order.created',
  occurred_at: '2026-12-07T08:00:00Z',
  data: { id: 'ord_1', status: 'Open' },
});
const message: DeliveryMessage = {
  id: 'msg_1',
  accountId: 'acct_1',
  subscriptionId: 'sub_1',
  eventId: 'evt_1',
  eventType: 'order.created',
  body,
  attempt: 1,
  trigger: 'event',
};
const answered: AttemptOutcome = { kind: 'response', statusCode: 200, excerpt: '', latencyMs: 5, setupMs: 1 };
const blocked: AttemptOutcome = {
  kind: 'error',
  errorKind: 'blocked_address',
  error: 'refused',
  latencyMs: 0,
  setupMs: 0,
};
/** A connection refused: the request was signed, then never written (no `answerMs`). */
const refused: AttemptOutcome = {
  kind: 'error',
  errorKind: 'connection_refused',
  error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
  latencyMs: 2,
  setupMs: 2,
};
/** A timeout after the request was written: it reached the endpoint, which did not answer in time. */
const unanswered: AttemptOutcome = {
  kind: 'error',
  errorKind: 'timeout',
  error: 'TimeoutError: no complete answer within 5000 ms of sending',
  latencyMs: 5003,
  setupMs: 3,
  answerMs: 5000,
};
const at = new Date('2026-12-07T08:00:01.750Z');

/** A delivery record whose attempts are those a lane records for these outcomes, each signed at `at`. */
function recordOf(subscription: Subscription, outcomes: AttemptOutcome[]): DeliveryRecord {
  const request = webhookRequest(subscription, message, at);
  return {
    id: message.id,
    accountId: 'acct_1',
    subscriptionId: 'sub_1',
    eventId: 'evt_1',
    eventType: 'order.created',
    status: 'succeeded',
    attemptCount: outcomes.length,
    scheduledAttempt: outcomes.length,
    attempts: outcomes.map((outcome) => attemptOf(outcome, message, at, request.proof)),
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    expiresAt: 0,
  };
}

describe('the request as sent, rebuilt without a key', () => {
  it('is, for a jwt subscription, the request its lane signed: headers and body alike', () => {
    const subscription = aSubscription({
      format: 'jwt',
      jwtKey: encodeJwtKey('k'.repeat(32)),
      compatibleId: 7,
    });
    const sent = webhookRequest(subscription, message, at);
    // What the API holds: the subscription with no key it could open.
    const { jwtKey: _key, secret: _secret, ...withoutKeys } = subscription;
    const rebuilt = requestAsSent(
      recordOf(subscription, [answered]),
      { ...withoutKeys, secret: 'kms:sealed' },
      body,
    );

    expect(rebuilt).toEqual({
      method: 'POST',
      url: sent.url,
      headers: sentHeaders(sent),
      body: sent.body,
      attemptAt: at.toISOString(),
      reachedEndpoint: true,
      exact: true,
    });
  });

  it('is none when no attempt sent a request (the address guard refused it)', () => {
    const subscription = aSubscription();
    expect(requestAsSent(recordOf(subscription, [blocked]), subscription, body)).toBeUndefined();
    expect(recordOf(subscription, [blocked]).attempts[0]?.signature).toBeUndefined();
  });

  it('is the latest attempt that sent one, after a refused one', () => {
    const subscription = aSubscription();
    const rebuilt = requestAsSent(recordOf(subscription, [answered, blocked]), subscription, body);
    expect(rebuilt?.exact).toBe(true);
  });

  it('says when the latest attempt never reached the endpoint, and shows the request it tried', () => {
    const subscription = aSubscription();
    const record = recordOf(subscription, [answered, refused]);
    expect(record.attempts.map((attempt) => attempt.requestWritten)).toEqual([undefined, false]);
    expect(requestAsSent(record, subscription, body)).toMatchObject({ reachedEndpoint: false, exact: true });
    const afterTimeout = recordOf(subscription, [refused, unanswered]);
    expect(requestAsSent(afterTimeout, subscription, body)?.reachedEndpoint).toBe(true);
    // Attempts recorded before `requestWritten` existed count as reached, as they were shown before.
    const older = {
      ...record,
      attempts: record.attempts.map(({ requestWritten: _, ...attempt }) => attempt),
    };
    expect(requestAsSent(older, subscription, body)?.reachedEndpoint).toBe(true);
  });

  it('is none when its event is gone, or its subscription became jwt since (no JWT signature was recorded)', () => {
    const subscription = aSubscription();
    const record = recordOf(subscription, [answered]);
    expect(requestAsSent(record, subscription, undefined)).toBeUndefined();
    expect(requestAsSent(record, undefined, body)).toBeUndefined();
    expect(requestAsSent(record, { ...subscription, format: 'jwt' }, body)).toBeUndefined();
  });

  it('says it is not exact when the subscription changed since', () => {
    const subscription = aSubscription();
    const record = recordOf(subscription, [answered]);
    expect(
      requestAsSent(record, { ...subscription, url: 'https://elsewhere.example.com/' }, body),
    ).toMatchObject({
      url: 'https://elsewhere.example.com/',
      exact: false,
    });
    expect(requestAsSent(record, { ...subscription, format: 'xml' }, body)?.exact).toBe(false);
  });
});

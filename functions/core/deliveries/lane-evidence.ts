import type { AttemptOutcome } from '../egress/attempt.ts';
import type { Subscription } from '../subscriptions/subscription.ts';

/** A delivery lane: `main` waits briefly for each answer, `slow` the full timeout. */
export type Lane = 'main' | 'slow';

/** What moves a subscription between lanes (platform.ts `defaults.laneEvidence`). */
export interface LaneRule {
  /** Answers in a row cut off by the main lane's wait that move a subscription to the slow lane. */
  readonly toSlow: number;
  /** Answers in a row within `quickMs` in the slow lane that bring it back. */
  readonly toMain: number;
  readonly quickMs: number;
}

/** What an attempt says of its subscription's lane: that it belongs elsewhere, that it fits, or nothing. */
export type LaneVerdict = 'elsewhere' | 'fits' | undefined;

/** True for an attempt the main lane cut off: its request left, and no answer came within the lane's wait. */
export const cutOff = (outcome: AttemptOutcome, wait: number, timeoutMs: number): boolean =>
  outcome.kind === 'error' &&
  outcome.errorKind === 'timeout' &&
  outcome.answerMs !== undefined &&
  wait < timeoutMs;

/**
 * What one attempt says of the lane its subscription is in. Only answers count (an attempt whose request never
 * left says nothing of how the endpoint answers), timed from the moment the request was written, so setting up
 * a connection (a far endpoint's TCP and TLS round trips) never counts as a slow answer.
 */
export function laneVerdict(
  outcome: AttemptOutcome,
  lane: Lane,
  subscription: Subscription,
  rule: LaneRule,
  wait: number,
  timeoutMs: number,
): LaneVerdict {
  if (outcome.answerMs === undefined) return undefined;
  if (lane === 'main') return cutOff(outcome, wait, timeoutMs) ? 'elsewhere' : 'fits';
  if (subscription.slowSince === undefined) return undefined;
  const quick =
    outcome.answerMs <= rule.quickMs && !(outcome.kind === 'error' && outcome.errorKind === 'timeout');
  return quick ? 'elsewhere' : 'fits';
}

/** What the lane evidence store does: count, forget, and move. */
export interface LanePorts {
  readonly addLaneEvidence: (subscription: Subscription) => Promise<number | undefined>;
  readonly clearLaneEvidence: (subscription: Subscription) => Promise<boolean>;
  readonly markSlow: (subscription: Subscription) => Promise<boolean>;
  readonly clearSlow: (subscription: Subscription) => Promise<boolean>;
}

/**
 * Applies an attempt's verdict: evidence against the lane is counted (a write only then), and enough in a row
 * moves the subscription; an answer that fits forgets the count (a write only when there was one). Answers the
 * move this call made, if any.
 */
export async function weighLaneEvidence(
  verdict: LaneVerdict,
  lane: Lane,
  subscription: Subscription,
  rule: LaneRule,
  ports: LanePorts,
): Promise<'slowed' | 'restored' | undefined> {
  if (verdict === 'fits') {
    if ((subscription.laneEvidence ?? 0) > 0) await ports.clearLaneEvidence(subscription);
    return undefined;
  }
  if (verdict !== 'elsewhere') return undefined;
  const count = await ports.addLaneEvidence(subscription);
  if (count === undefined) return undefined;
  if (lane === 'main' && count >= rule.toSlow)
    return (await ports.markSlow(subscription)) ? 'slowed' : undefined;
  if (lane === 'slow' && count >= rule.toMain)
    return (await ports.clearSlow(subscription)) ? 'restored' : undefined;
  return undefined;
}

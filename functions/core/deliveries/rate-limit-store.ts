import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../storage/conditions.ts';
import { rateLimitKey } from '../storage/table-keys.ts';

/** How long a subscription's turn item outlives its last turn (TTL; an idle limit starts afresh anyway). */
const keptSeconds = 86_400;

/** How often a turn is tried again when concurrent takers keep changing the item between the two writes. */
const maxTries = 5;

/**
 * A subscription's rate limit, shared by every invocation that delivers for it: turns (times to send) handed
 * out in order, `1000 / perSecond` ms apart, from one small item that holds the time of the next free turn
 * (`nextTurnAt`, epoch ms: a virtual scheduling clock, as GCRA keeps it).
 *
 * Taking turns costs one conditional write, for as many turns as the caller asks at once (the records of one
 * batch take theirs together). No read comes first: the write that moves the clock on answers where it stood.
 * An idle limit's clock is in the past; it restarts at the taker's time (a second write).
 */
export class RateLimitStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes `count` turns at `perSecond` not before `from` (epoch ms); answers the first turn's time, the others
   * following `1000 / perSecond` ms apart.
   */
  async take(subscriptionId: string, count: number, perSecond: number, from: number): Promise<number> {
    const span = (count * 1000) / perSecond;
    const expiresAt = Math.floor(from / 1000) + keptSeconds;
    for (let attempt = 0; attempt < maxTries; attempt++) {
      // A busy limit: the clock is ahead of `from`; move it on by the turns taken.
      const moved = await this.update(subscriptionId, {
        UpdateExpression: 'SET nextTurnAt = nextTurnAt + :span, expiresAt = :expires',
        ConditionExpression: 'nextTurnAt >= :from',
        ExpressionAttributeValues: { ':span': span, ':from': from, ':expires': expiresAt },
      });
      if (moved !== undefined) return moved - span;
      // An idle (or new) limit: the clock restarts at `from`.
      const restarted = await this.update(subscriptionId, {
        UpdateExpression: 'SET nextTurnAt = :next, expiresAt = :expires',
        ConditionExpression: 'attribute_not_exists(nextTurnAt) OR nextTurnAt < :from',
        ExpressionAttributeValues: { ':next': from + span, ':from': from, ':expires': expiresAt },
      });
      if (restarted !== undefined) return from;
    }
    throw new Error(
      `Rate limit of ${subscriptionId}: no turn after ${maxTries} tries (the item changes too fast)`,
    );
  }

  /** The clock after a conditional update, or undefined when its condition did not hold. */
  private async update(
    subscriptionId: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      ExpressionAttributeValues: Record<string, unknown>;
    },
  ): Promise<number | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rateLimitKey(subscriptionId),
          ...update,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.nextTurnAt);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }
}

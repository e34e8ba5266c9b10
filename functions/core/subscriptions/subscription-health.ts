import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionally, isConditionFailure } from '../storage/conditions.ts';
import { openSecrets, type SecretOpener } from './secret-box.ts';
import type { Circuit, Subscription } from './subscription.ts';
import { readSubscription, subscriptionKey } from './subscription-items.ts';

/**
 * What delivery reads and writes of subscriptions: the subscription it delivers for, and its health (disabled,
 * failing since, slow since). Each change is conditional and says whether this call made it, so that the
 * platform says so once.
 */
export class SubscriptionHealthStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly secrets: SecretOpener,
  ) {}

  /**
   * The subscription with the secrets that sign now opened by `secrets` (plain, as a webhook is signed with
   * them); throws `SigningSecretError` when one cannot be opened.
   */
  async get(accountId: string, id: string): Promise<Subscription | undefined> {
    const subscription = await readSubscription(this.db, this.tableName, accountId, id);
    return subscription === undefined ? undefined : openSecrets(subscription, this.secrets, new Date());
  }

  /**
   * Disables an active subscription with its reason, bumping the version; true when this call disabled it
   * (false when it was not active, or is gone), so that the platform says so once.
   */
  async disable(accountId: string, id: string, reason: string, now: Date = new Date()): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression:
        'SET #status = :disabled, disabledReason = :reason, updatedAt = :now, version = version + :one',
      ConditionExpression: '#status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':disabled': 'disabled',
        ':active': 'active',
        ':reason': reason,
        ':now': now.toISOString(),
        ':one': 1,
      },
    });
  }

  /**
   * Notes a failed attempt: starts the failure streak if none is under way and, for a failure that says the
   * endpoint is unavailable, counts it among the failures in a row. Answers the count (undefined when the
   * subscription is gone).
   */
  async noteFailure(
    accountId: string,
    id: string,
    now: Date,
    countsAgainstCircuit: boolean,
  ): Promise<number | undefined> {
    return this.countingUpdate(accountId, id, 'consecutiveFailures', {
      UpdateExpression: `SET failingSince = if_not_exists(failingSince, :now)${countsAgainstCircuit ? ' ADD consecutiveFailures :one' : ''}`,
      ExpressionAttributeValues: {
        ':now': now.toISOString(),
        ...(countsAgainstCircuit ? { ':one': 1 } : {}),
      },
    });
  }

  /** Ends a failure streak after a success; true when there was one (the subscription recovered). */
  async markRecovered(accountId: string, id: string): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'REMOVE failingSince, consecutiveFailures',
      ConditionExpression: 'attribute_exists(failingSince)',
    });
  }

  /**
   * Counts one more answer that contradicts the subscription's lane (see `Subscription.laneEvidence`); answers
   * the count, undefined when the subscription is gone.
   */
  async addLaneEvidence(accountId: string, id: string): Promise<number | undefined> {
    return this.countingUpdate(accountId, id, 'laneEvidence', {
      UpdateExpression: 'ADD laneEvidence :one',
      ExpressionAttributeValues: { ':one': 1 },
    });
  }

  /** Forgets the lane evidence: an answer came that fits the lane. */
  async clearLaneEvidence(accountId: string, id: string): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'REMOVE laneEvidence',
      ConditionExpression: 'attribute_exists(laneEvidence)',
    });
  }

  /** Sends the subscription's deliveries to the slow lane (its endpoint answers slower than the main lane waits). */
  async markSlow(accountId: string, id: string, now: Date): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'SET slowSince = :now REMOVE laneEvidence',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(slowSince)',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    });
  }

  /** Brings the subscription's deliveries back to the main lane. */
  async clearSlow(accountId: string, id: string): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'REMOVE slowSince, laneEvidence',
      ConditionExpression: 'attribute_exists(slowSince)',
    });
  }

  /** Opens the circuit of an active subscription whose circuit is closed; true when this call opened it. */
  async openCircuit(accountId: string, id: string, circuit: Circuit): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'SET circuit = :circuit',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(circuit) AND #status = :active',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':circuit': circuit, ':active': 'active' },
    });
  }

  /** Hands an open circuit to its next probe; only the live probe (its token) may. */
  async reprobeCircuit(accountId: string, id: string, token: string, next: Circuit): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'SET circuit = :circuit',
      ConditionExpression: 'circuit.#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':circuit': next, ':token': token },
    });
  }

  /**
   * Closes the circuit (the one the token names, or whichever is open) and forgets the failures in a row; true
   * when this call closed it.
   */
  async closeCircuit(accountId: string, id: string, token?: string): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'REMOVE circuit, consecutiveFailures',
      ...(token === undefined
        ? { ConditionExpression: 'attribute_exists(circuit)' }
        : {
            ConditionExpression: 'circuit.#token = :token',
            ExpressionAttributeNames: { '#token': 'token' },
            ExpressionAttributeValues: { ':token': token },
          }),
    });
  }

  /** Holds the endpoint's deliveries until `until` (its Retry-After); never shortens a hold under way. */
  async backOff(accountId: string, id: string, until: Date): Promise<boolean> {
    return this.conditionalUpdate(accountId, id, {
      UpdateExpression: 'SET backOffUntil = :until',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(backOffUntil) OR backOffUntil < :until)',
      ExpressionAttributeValues: { ':until': until.toISOString() },
    });
  }

  /**
   * An update of an existing subscription that answers one of its counters afterwards (0 when absent), or
   * undefined when the subscription is gone.
   */
  private async countingUpdate(
    accountId: string,
    id: string,
    counter: 'consecutiveFailures' | 'laneEvidence',
    update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<number | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: subscriptionKey(accountId, id),
          ...update,
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_NEW',
        }),
      );
      const count = Attributes?.[counter];
      return typeof count === 'number' ? count : 0;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  private async conditionalUpdate(
    accountId: string,
    id: string,
    update: {
      UpdateExpression: string;
      ConditionExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ExpressionAttributeValues?: Record<string, unknown>;
    },
  ): Promise<boolean> {
    return conditionally(
      this.db.send(
        new UpdateCommand({ TableName: this.tableName, Key: subscriptionKey(accountId, id), ...update }),
      ),
    );
  }
}

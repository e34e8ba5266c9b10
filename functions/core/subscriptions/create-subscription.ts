import { type JwtFormatPorts, withJwtKey } from './jwt-format.ts';
import type { Subscription } from './subscription.ts';
import { InvalidSubscriptionError } from './subscription-errors.ts';
import type { CreateSubscriptionInput } from './subscription-input.ts';

/** What creating a subscription needs from the world. */
export interface CreateSubscriptionPorts extends JwtFormatPorts {
  /** Stores a new subscription; throws SubscriptionLimitError when the account has its maximum. */
  readonly insert: (subscription: Subscription) => Promise<void>;
  /** Why the URL may not receive webhooks as far as DNS tells now, or undefined. */
  readonly urlProblem: (url: string) => Promise<string | undefined>;
  /**
   * Sends a `jwt` subscription's endpoint the verification request the reference platform sends at creation;
   * why it did not take it (no 2xx in time, an address webhooks never go to), or undefined.
   */
  readonly verificationProblem: (subscription: Subscription) => Promise<string | undefined>;
  readonly newId: () => string;
  readonly newSecret: () => string;
  readonly now: () => Date;
}

/** A created subscription and its signing secret, which is shown this once. */
export interface CreatedSubscription {
  readonly subscription: Subscription;
  readonly secret: string;
}

/** Throws {@link InvalidSubscriptionError} for a URL whose host resolves to an address webhooks never go to. */
export async function assertDeliverableUrl(
  url: string,
  urlProblem: (url: string) => Promise<string | undefined>,
): Promise<void> {
  const problem = await urlProblem(url);
  if (problem !== undefined) throw new InvalidSubscriptionError([{ field: 'url', message: problem }]);
}

/**
 * Creates an active subscription with a new signing secret from validated input. A `jwt` subscription takes its
 * key and a compatible id, and is created only once its endpoint took the verification request.
 */
export async function createSubscription(
  accountId: string,
  input: CreateSubscriptionInput,
  ports: CreateSubscriptionPorts,
): Promise<CreatedSubscription> {
  await assertDeliverableUrl(input.url, ports.urlProblem);
  const now = ports.now().toISOString();
  const secret = ports.newSecret();
  const made: Subscription = {
    id: ports.newId(),
    accountId,
    name: input.name,
    ...(input.description === undefined ? {} : { description: input.description }),
    url: input.url,
    events: [...new Set(input.events)],
    ...(input.filter === undefined ? {} : { filter: JSON.stringify(input.filter) }),
    status: 'active',
    format: input.format ?? 'json',
    headers: input.headers ?? {},
    secret,
    metadata: input.metadata ?? {},
    ...(input.rate_limit == null ? {} : { rateLimit: input.rate_limit }),
    // Absent is `none`: only an ordered subscription stores its ordering.
    ...(input.ordering === 'resource' ? { ordering: input.ordering } : {}),
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  const subscription = await withJwtKey(made, input.jwt_key, ports);
  if (subscription.format === 'jwt') {
    const problem = await ports.verificationProblem(subscription);
    if (problem !== undefined) throw new InvalidSubscriptionError([{ field: 'url', message: problem }]);
  }
  await ports.insert(subscription);
  return { subscription, secret };
}

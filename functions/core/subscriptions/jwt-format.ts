import type { FieldError } from '../field-errors.ts';
import { encodeJwtKey } from '../payloads/jwt-payload.ts';
import type { PayloadFormat, Subscription } from './subscription.ts';
import { InvalidSubscriptionError } from './subscription-errors.ts';

/** What a subscription of the `jwt` format needs from the world when it is made or becomes one. */
export interface JwtFormatPorts {
  /** A new compatible id: the next of the deployment's counter. */
  readonly newCompatibleId: () => Promise<number>;
}

/**
 * Why a subscription that will have `format` cannot take the key given (`undefined`: none given) beside the one
 * it has (`stored`), or undefined: a `jwt` subscription needs a key, and no other format takes one.
 */
function jwtKeyProblem(
  format: PayloadFormat,
  given: string | undefined,
  stored: string | undefined,
): FieldError | undefined {
  if (format === 'jwt' && given === undefined && stored === undefined) {
    return { field: 'jwt_key', message: 'is required when format is jwt: the key its JWTs are signed with' };
  }
  if (format !== 'jwt' && given !== undefined) {
    return { field: 'jwt_key', message: 'is only for format jwt' };
  }
  return undefined;
}

/**
 * The subscription with the key a client gave (`undefined`: none given): it takes the key and, when it has
 * none yet, a compatible id if its format is `jwt`, and holds no key otherwise (one it had is dropped with the
 * format). Throws {@link InvalidSubscriptionError} for a key without the format or the format without a key.
 */
export async function withJwtKey(
  subscription: Subscription,
  given: string | undefined,
  ports: JwtFormatPorts,
): Promise<Subscription> {
  const problem = jwtKeyProblem(subscription.format, given, subscription.jwtKey);
  if (problem !== undefined) throw new InvalidSubscriptionError([problem]);
  if (subscription.format !== 'jwt') {
    if (subscription.jwtKey === undefined) return subscription;
    const { jwtKey: _dropped, ...rest } = subscription;
    return rest;
  }
  return {
    ...subscription,
    ...(given === undefined ? {} : { jwtKey: encodeJwtKey(given) }),
    ...(subscription.compatibleId === undefined ? { compatibleId: await ports.newCompatibleId() } : {}),
  };
}

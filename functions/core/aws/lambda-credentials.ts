/**
 * What the Lambda bundles use in place of the AWS SDK's default credential chain (lib/bundling.ts aliases
 * `@aws-sdk/credential-provider-node` to this file): Lambda always puts the execution role's credentials in
 * the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so the rest of the
 * chain (profiles, SSO, web identity, instance metadata and the STS and SSO clients they bring) is dead weight
 * at every cold start. The sandbox and the tests run the handlers unbundled, with the whole chain.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);

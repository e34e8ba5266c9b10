/** How a caller proved who they are: an API key, or a portal link's token. */
export type Credential = 'api-key' | 'portal-token';

/** What the authorizer passes on about the caller: the account and how it was proven, or why there is none. */
export type CallerContext =
  | { accountId: string; credential: Credential; authError: '' }
  | { accountId: ''; credential: ''; authError: string };

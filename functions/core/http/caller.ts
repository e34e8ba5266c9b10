/** What the authorizer passes on about the caller: the account, or why there is none. */
export type CallerContext = { accountId: string; authError: '' } | { accountId: ''; authError: string };

import type { VersionPrecondition } from '#core/subscriptions/change-subscription.ts';

/** The ETag of a version: a strong entity tag, e.g. `"3"`. */
export const etagOf = (version: number) => `"${version}"`;

/**
 * The versions an `If-Match` header allows: `*` any, otherwise the strong entity tags it lists (weak ones never
 * match, as RFC 9110 says for If-Match). Undefined without the header.
 */
export function preconditionOf(ifMatch: string | undefined): VersionPrecondition | undefined {
  if (ifMatch === undefined) return undefined;
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) return () => true;
  const versions = new Set<number>();
  for (const tag of tags) {
    const version = /^"(\d{1,15})"$/.exec(tag)?.[1];
    if (version !== undefined) versions.add(Number(version));
  }
  return (version) => versions.has(version);
}

import { PageHeading } from '../components/ui.tsx';

/** Why the portal cannot open: no link, an expired one, or one the platform does not accept. */
export type LinkProblem =
  | { readonly kind: 'missing' }
  | { readonly kind: 'expired' | 'invalid'; readonly detail: string };

const titles = {
  missing: 'Open the portal from your link',
  expired: 'This link has expired',
  invalid: 'This link is not valid',
} as const;

/**
 * The page for a link that cannot open the portal. It shows nothing of any account: the portal has no data
 * without a token the API accepts.
 */
export function LinkProblemPage({ problem }: { problem: LinkProblem }) {
  return (
    <div class="panel panel-center">
      <PageHeading title={titles[problem.kind]}>{titles[problem.kind]}</PageHeading>
      {problem.kind === 'missing' ? (
        <p>
          The portal opens from a link that the service you use gives you; it works for a limited time. Ask
          for a new one if you do not have it any more.
        </p>
      ) : (
        <>
          <p class="lead">
            {problem.kind === 'expired'
              ? 'This link has expired; ask for a new one.'
              : 'This link is not valid; ask for a new one.'}
          </p>
          <p>
            Portal links work for a limited time, and only in full, as they were given. The service you use
            can give you a new link.
          </p>
          <p class="hint">The platform said: {problem.detail}</p>
        </>
      )}
    </div>
  );
}

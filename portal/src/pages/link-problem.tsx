import { portalRefusals } from '../../../functions/core/accounts/portal-access.ts';
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

/** Why it may have happened, in other words than the title's. */
const causes = {
  expired: 'Portal links work for a limited time only.',
  invalid:
    'A portal link works only whole, exactly as it was given: one cut short or changed on the way does not open the portal.',
} as const;

/**
 * The page for a link that cannot open the portal. It shows nothing of any account: the portal has no data
 * without a token the API accepts. The title says what is wrong, once; the page then says what to do. The
 * API's own words are shown only when they say something else (a link opened from another site, say).
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
          <p class="lead">To open the portal, ask the service that gave you this link for a new one.</p>
          <p>{causes[problem.kind]}</p>
          {problem.detail === portalRefusals[problem.kind] ? null : (
            <p class="hint">The platform said: {problem.detail}</p>
          )}
        </>
      )}
    </div>
  );
}

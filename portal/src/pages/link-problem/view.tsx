import { PageHeading } from '../../components/ui.tsx';
import { type LinkProblem, problemCauses, problemTitles, showsDetail } from './model.ts';

/**
 * The page for a link that cannot open the portal. It shows nothing of any account: the portal has no data
 * without a token the API accepts. The title says what is wrong, once; the page then says what to do. The
 * API's own words are shown only when they say something else (a link opened from another site, say).
 */
export function LinkProblemPage({ problem }: { problem: LinkProblem }) {
  return (
    <div class="panel panel-center">
      <PageHeading title={problemTitles[problem.kind]}>{problemTitles[problem.kind]}</PageHeading>
      {problem.kind === 'missing' ? (
        <p>
          The portal opens from a link that the service you use gives you; it works for a limited time. Ask
          for a new one if you do not have it any more.
        </p>
      ) : (
        <>
          <p class="lead">To open the portal, ask the service that gave you this link for a new one.</p>
          <p>{problemCauses[problem.kind]}</p>
          {showsDetail(problem) ? <p class="hint">The platform said: {problem.detail}</p> : null}
        </>
      )}
    </div>
  );
}

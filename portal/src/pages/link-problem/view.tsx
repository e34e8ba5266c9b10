import { PageHeading } from '../../components/ui.tsx';
import { isOnThisMachine, type LinkProblem, problemCauses, problemTitles, showsDetail } from './model.ts';

/**
 * The page for a link that cannot open the portal. It shows nothing of any account: the portal has no data
 * without a token the API accepts. The title says what is wrong, once; the page then says what to do. The
 * API's own words are shown only when they say something else (a link opened from another site, say). Opened
 * from this machine, it also says where the sandbox prints a link, for the developer who runs it: there is no
 * service to ask then.
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
      {isOnThisMachine(location.hostname) ? (
        <p class="hint">
          Running the sandbox on this machine? Open the link that <code>npm start</code> prints after
          “Portal:”; it works for a day, and each start prints a new one.
        </p>
      ) : null}
    </div>
  );
}

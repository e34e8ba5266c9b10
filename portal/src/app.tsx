import { useEffect, useState } from 'preact/hooks';
import { Breadcrumbs, type Crumb, PageHeading } from './components/ui.tsx';
import { formatDateTime } from './format.ts';
import iconUrl from './icon.svg';
import { EventPage } from './pages/event/view.tsx';
import { EventsPage } from './pages/events/view.tsx';
import { SubscriptionFormPage } from './pages/form/view.tsx';
import { expiredLink, type LinkProblem, msUntilExpiry, refusedLink } from './pages/link-problem/model.ts';
import { LinkProblemPage } from './pages/link-problem/view.tsx';
import { SubscriptionListPage } from './pages/list/view.tsx';
import { SubscriptionPage } from './pages/subscription/view.tsx';
import { useRoute } from './router.ts';
import { href, type Route } from './routes.ts';
import type { Session } from './session.ts';

function Page({ route, session }: { route: Route; session: Session }) {
  switch (route.page) {
    case 'list':
      return <SubscriptionListPage session={session} />;
    case 'new':
      return <SubscriptionFormPage session={session} />;
    case 'subscription':
      // Keyed by the delivery too: another delivery's link opens the page afresh, with that one open.
      return (
        <SubscriptionPage
          key={`${route.id}/${route.delivery ?? ''}`}
          id={route.id}
          delivery={route.delivery}
          session={session}
        />
      );
    case 'events':
      return <EventsPage session={session} />;
    case 'event':
      return <EventPage key={route.id} id={route.id} session={session} />;
    case 'edit':
      return <SubscriptionFormPage key={route.id} id={route.id} session={session} />;
    default:
      return (
        <>
          <PageHeading title="Page not found">Page not found</PageHeading>
          <p>
            <a href={href.list}>Go to your subscriptions</a>
          </p>
        </>
      );
  }
}

/**
 * The pages above a page, for its breadcrumbs. The edit form has its own (Subscriptions, then its subscription by
 * name once that is found: a link to a subscription that is not there would lead to the same "not found").
 */
function trailOf(route: Route): Crumb[] {
  switch (route.page) {
    case 'list':
    case 'events':
    case 'edit':
      return [];
    case 'event':
      return [{ href: href.events, label: 'Events' }];
    default:
      return [{ href: href.list, label: 'Subscriptions' }];
  }
}

/**
 * The portal's sections, in the header: the one the page belongs to is marked, seen and for screen readers
 * (`page` on the section's own page, `true` on a page within it).
 */
function SectionNav({ route }: { route: Route }) {
  const inEvents = route.page === 'events' || route.page === 'event';
  const mark = (inSection: boolean, onItsPage: boolean) =>
    inSection ? (onItsPage ? 'page' : 'true') : undefined;
  return (
    <nav aria-label="Sections" class="sections">
      <a href={href.list} aria-current={mark(!inEvents, route.page === 'list')}>
        Subscriptions
      </a>
      <a href={href.events} aria-current={mark(inEvents, route.page === 'events')}>
        Events
      </a>
    </nav>
  );
}

/**
 * The portal: a header (with its sections once the link works), the page of the address (`#/...`), and the
 * expiry page instead of everything once the API refuses the link (or its time is up while the page is open).
 */
export function App({ session }: { session: Session }) {
  const route = useRoute();
  const { link } = session;
  const [problem, setProblem] = useState<LinkProblem | undefined>(
    link === undefined ? { kind: 'missing' } : undefined,
  );

  // During the render, before any page asks the API for anything: the pages' requests carry the token, and
  // a refusal of it replaces everything with the expiry page.
  if (link !== undefined) {
    session.whenRefused((detail) => setProblem(refusedLink(link, detail)));
  }

  useEffect(() => {
    const wait = link === undefined ? undefined : msUntilExpiry(link);
    if (wait === undefined) return;
    // Past its expiry the link shows the expiry page at once (the API would refuse the next request anyway).
    const timer = setTimeout(() => setProblem(expiredLink), wait);
    return () => clearTimeout(timer);
  }, [link]);

  return (
    <>
      <header class="site-header">
        <div class="container header-row">
          <span class="brand">
            <img src={iconUrl} alt="" width={28} height={28} />
            Webhooks portal
          </span>
          {link !== undefined && problem === undefined ? <SectionNav route={route} /> : null}
          {link !== undefined && problem === undefined ? (
            <span class="session">
              <span>
                Account <strong>{link.accountId}</strong>
              </span>
              {link.expiresAt ? <span>Link valid until {formatDateTime(link.expiresAt)}</span> : null}
            </span>
          ) : null}
        </div>
      </header>
      <main class="container" id="main">
        {problem !== undefined ? (
          <LinkProblemPage problem={problem} />
        ) : (
          <>
            <Breadcrumbs trail={trailOf(route)} />
            <Page route={route} session={session} />
          </>
        )}
      </main>
    </>
  );
}

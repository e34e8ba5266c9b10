import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api.ts';
import type { Notice, Session } from '../session.ts';

/**
 * A page's heading: it names the tab, and takes the focus when the page opens, so that keyboard and screen
 * reader users start at the top of the new page (as they would after a full page load).
 */
export function PageHeading({ children, title }: { children: ComponentChildren; title: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Webhooks portal`;
    heading.current?.focus();
  }, [title]);
  return (
    <h1 tabIndex={-1} ref={heading}>
      {children}
    </h1>
  );
}

/** A step of the breadcrumbs: a page above this one. */
export interface Crumb {
  readonly href: string;
  readonly label: string;
}

/** The pages above this one, as links, above its heading; nothing when it has none. */
export function Breadcrumbs({ trail }: { trail: readonly Crumb[] }) {
  if (trail.length === 0) return null;
  return (
    <nav aria-label="Breadcrumbs" class="breadcrumbs">
      <ol>
        {trail.map((crumb) => (
          <li key={crumb.href}>
            <a href={crumb.href}>{crumb.label}</a>
          </li>
        ))}
      </ol>
    </nav>
  );
}

/** Shows a notice in a live region, so that it is read out as well as seen. */
export function NoticeBar({ notice }: { notice: Notice | undefined }) {
  return (
    <div
      class={notice === undefined ? 'notice-slot' : `notice notice-${notice.tone}`}
      role={notice?.tone === 'error' ? 'alert' : 'status'}
    >
      {notice?.text}
    </div>
  );
}

/**
 * The notice a page shows, starting with one the session carried over from the page before. That one is
 * shown once the page is `ready` (its {@link NoticeBar} is in the page), a moment after: a live region is read
 * out when its text changes, not when it appears with its text already in it.
 */
export function useNotice(
  session: Session,
  ready = true,
): [Notice | undefined, (notice: Notice | undefined) => void] {
  const [notice, setNotice] = useState<Notice | undefined>();
  const [pending, setPending] = useState<Notice | undefined>(() => session.takeNotice());
  useEffect(() => {
    if (!ready || pending === undefined) return;
    setNotice(pending);
    setPending(undefined);
  }, [ready, pending]);
  return [notice, setNotice];
}

/** Something loaded from the API: its value, the error that stopped it, and a way to load it again. */
export interface Loaded<T> {
  readonly value: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  readonly reload: () => Promise<void>;
}

/** Loads `load()` now and whenever `keys` change; `reload` loads again without clearing what is shown. */
export function useLoaded<T>(load: () => Promise<T>, keys: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ value?: T; error?: string; loading: boolean }>({ loading: true });
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const run = ++latest.current;
    try {
      const value = await load();
      if (run === latest.current) setState({ value, loading: false });
    } catch (error) {
      if (run === latest.current)
        setState((before) => ({ ...before, error: messageOf(error), loading: false }));
    }
  }, keys);
  useEffect(() => {
    setState({ loading: true });
    void reload();
  }, [reload]);
  return { value: state.value, error: state.error, loading: state.loading, reload };
}

/** Calls `tick` every `ms` while the page is visible (and not at all in a hidden tab). */
export function useInterval(tick: () => void, ms: number): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** A status as a badge: the word always, the colour only to help. */
export function Badge({ tone, children }: { tone: string; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** A button that says it is busy while its action runs, and cannot be pressed twice meanwhile. */
export function ActionButton({
  onClick,
  children,
  busyLabel,
  variant = 'secondary',
  disabled = false,
}: {
  onClick: () => Promise<void>;
  children: ComponentChildren;
  busyLabel: string;
  variant?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      class={`button button-${variant}`}
      disabled={disabled}
      // Not `disabled` while busy: a disabled button loses the keyboard focus.
      aria-disabled={busy}
      onClick={async () => {
        if (busy) return;
        setBusy(true);
        try {
          await onClick();
        } finally {
          setBusy(false);
        }
      }}
    >
      {busy ? busyLabel : children}
    </button>
  );
}

/** A region that scrolls sideways when its content (a table) is wider than the screen. */
export function ScrollRegion({
  label,
  class: extra,
  children,
}: {
  label: string;
  class?: string;
  children: ComponentChildren;
}) {
  const classes = extra === undefined ? 'table-scroll' : `table-scroll ${extra}`;
  return (
    // It must take the focus, or a keyboard cannot scroll it (axe: scrollable-region-focusable).
    // biome-ignore lint/a11y/noNoninteractiveTabindex: see above.
    <section class={classes} tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

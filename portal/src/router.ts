import { useEffect, useState } from 'preact/hooks';
import { type Route, routeOf } from './routes.ts';

/** Goes to a page. */
export function navigate(to: string): void {
  location.hash = to;
}

/** The current page, following the address. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const changed = () => setRoute(routeOf(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

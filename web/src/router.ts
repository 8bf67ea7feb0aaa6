// Two routes need no router library: the softphone at "/" and the admin entry at "/admin".
import { useEffect, useState } from 'preact/hooks';

export type Route = 'softphone' | 'admin';

export function routeOf(pathname: string): Route {
  return pathname === '/admin' || pathname.startsWith('/admin/') ? 'admin' : 'softphone';
}

export function navigate(path: string): void {
  history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(routeOf(location.pathname));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(location.pathname));
    window.addEventListener('popstate', onChange);
    return () => window.removeEventListener('popstate', onChange);
  }, []);
  return route;
}

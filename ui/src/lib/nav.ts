// Moving between screens: the hash is the route (see route.ts).
import { href } from './route';
import type { Route } from './route';

export function go(route: Route): void {
  const target = href(route);
  if (globalThis.location && globalThis.location.hash !== target) globalThis.location.hash = target;
}

// The window's screens as hash routes, so Today's offerings are real links and Back works.

export type Route =
  | { screen: 'today'; date: string | null }
  | { screen: 'roll'; offering: string; date: string }
  | { screen: 'counselor'; student: string | null; offering: string | null }
  | { screen: 'settings' };

const seg = (s: string | undefined) => (s ? decodeURIComponent(s) : null);

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  switch (parts[0]) {
    case 'roll':
      if (parts[1] && parts[2]) {
        return { screen: 'roll', offering: seg(parts[1])!, date: seg(parts[2])! };
      }
      break;
    case 'counselor': {
      let student: string | null = null;
      let offering: string | null = null;
      for (let i = 1; i + 1 < parts.length; i += 2) {
        if (parts[i] === 'student') student = seg(parts[i + 1]);
        if (parts[i] === 'class') offering = seg(parts[i + 1]);
      }
      return { screen: 'counselor', student, offering };
    }
    case 'settings':
      return { screen: 'settings' };
    case 'today':
      return { screen: 'today', date: seg(parts[1]) };
  }
  return { screen: 'today', date: null };
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.screen) {
    case 'today':
      return route.date ? `#/today/${e(route.date)}` : '#/today';
    case 'roll':
      return `#/roll/${e(route.offering)}/${e(route.date)}`;
    case 'counselor': {
      let h = '#/counselor';
      if (route.offering) h += `/class/${e(route.offering)}`;
      if (route.student) h += `/student/${e(route.student)}`;
      return h;
    }
    case 'settings':
      return '#/settings';
  }
}

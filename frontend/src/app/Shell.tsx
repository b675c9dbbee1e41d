import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router-dom';
import { api, unwrap } from '@/lib/api';
import { POLL_MS, useLiveStatus, useLiveSubscription, usePollInterval } from '@/lib/live';
import { keys } from '@/lib/queryKeys';
import { RequireRole } from '@/lib/roles';
import { useSession } from '@/lib/session';

export function LiveIndicator() {
  const status = useLiveStatus();
  const text =
    status === 'live'
      ? 'Live'
      : status === 'connecting'
        ? 'Connecting…'
        : `Offline: updating every ${POLL_MS / 1000} s, reconnecting…`;
  return (
    <span className={`live-indicator live-${status}`} role="status" data-testid="live-indicator" data-status={status}>
      <span className="live-dot" aria-hidden="true" />
      {text}
    </span>
  );
}

function UnacknowledgedCount() {
  const poll = usePollInterval();
  const { data } = useQuery({
    queryKey: [...keys.summary, 'all'],
    queryFn: () => unwrap(api.getViolationSummary()),
    refetchInterval: poll,
  });
  const critical = data?.by_severity.find((s) => s.severity === 'CRITICAL')?.unacknowledged ?? 0;
  const n = data?.unacknowledged ?? 0;
  if (!n) return null;
  return (
    <span className={`count-badge ${critical ? 'severity-critical' : 'severity-warning'}`} aria-label={`${n} unacknowledged`}>
      {n}
    </span>
  );
}

/** Keeps the page's socket subscribed to the whole plant (every root of the hierarchy), so
 * violation counts, tree colours and the alerts list follow every characteristic. */
function WholePlantSubscription() {
  const { data } = useQuery({ queryKey: keys.hierarchy, queryFn: () => unwrap(api.getHierarchy()) });
  useLiveSubscription([], data?.map((n) => n.id) ?? []);
  return null;
}

export function Shell({ children }: { children: ReactNode }) {
  const { user, logout } = useSession();
  return (
    <div className="app">
      <WholePlantSubscription />
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          OpenSPC
        </div>
        <nav className="mainnav" aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/alerts">
            Alerts <UnacknowledgedCount />
          </NavLink>
          <RequireRole role="engineer">
            <NavLink to="/config">Configuration</NavLink>
          </RequireRole>
        </nav>
        <div className="topbar-right">
          <LiveIndicator />
          <span className="user" data-testid="current-user">
            {user?.username} <span className="role">{user?.role}</span>
          </span>
          <button type="button" className="ghost" onClick={logout}>
            Sign out
          </button>
        </div>
      </header>
      <div className="app-body">{children}</div>
    </div>
  );
}

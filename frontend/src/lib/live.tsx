// Live updates: one WebSocket per page (`/api/v1/ws?token=`), subscribed to the
// characteristics the page shows. Events refresh the affected queries (coalesced, so a burst
// of samples costs one refetch per view); when the socket is down the page says so, the views
// poll, and the socket reconnects with backoff.
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { keys } from './queryKeys';
import { session, useSession } from './session';

export type LiveStatus = 'connecting' | 'live' | 'offline';
export type LiveEventType = 'sample' | 'violation' | 'ack_update' | 'limits_update' | 'heartbeat';

export interface LiveEvent {
  type: LiveEventType | string;
  payload: Record<string, unknown>;
}

export const POLL_MS = 5000;
const FLUSH_MS = 100;
const SLOW_FLUSH_MS = 400;
const SLOW_KEYS = new Set<string>([keys.violations[0], keys.summary[0], keys.due[0]]);
const MAX_BACKOFF_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 65_000;

type Handler = (event: LiveEvent) => void;

/** What a view wants to hear about: characteristics, and whole hierarchy subtrees. */
export interface Interest {
  characteristicIds?: readonly number[];
  hierarchyIds?: readonly number[];
}

interface LiveValue {
  status: LiveStatus;
  lastEventAt: number | null;
  register(interest: Interest): () => void;
  onEvent(handler: Handler): () => void;
}

const LiveContext = createContext<LiveValue>({
  status: 'offline',
  lastEventAt: null,
  register: () => () => undefined,
  onEvent: () => () => undefined,
});

/** The events of one socket message: `{type, payload}`, a list of them, or a payload list. */
export function explode(message: unknown): LiveEvent[] {
  if (Array.isArray(message)) return message.flatMap(explode);
  if (!message || typeof message !== 'object') return [];
  const { type, payload } = message as { type?: unknown; payload?: unknown };
  if (typeof type !== 'string') return [];
  if (Array.isArray(payload)) return payload.map((p) => ({ type, payload: (p ?? {}) as Record<string, unknown> }));
  return [{ type, payload: (payload ?? {}) as Record<string, unknown> }];
}

/** Which queries an event makes stale. */
export function staleKeys(event: LiveEvent): (readonly unknown[])[] {
  const cid = Number(event.payload.characteristic_id);
  const id = Number.isFinite(cid) ? cid : null;
  switch (event.type) {
    case 'sample': {
      const chart = id === null ? ['chart'] : keys.chart(id);
      // Tag samples never change the manual to-do list.
      return event.payload.source === 'TAG' ? [chart] : [chart, keys.due];
    }
    case 'violation':
    case 'ack_update':
      return [
        id === null ? ['chart'] : keys.chart(id),
        keys.violations,
        keys.summary,
      ];
    case 'limits_update':
      return id === null
        ? [['chart'], keys.characteristics, ['limits-history']]
        : [keys.chart(id), keys.characteristic(id), keys.limitsHistory(id), keys.capability(id)];
    default:
      return [];
  }
}

function socketUrl(token: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return `${proto}://${window.location.host}/api/v1/ws?token=${encodeURIComponent(token)}`;
}

/** Coalesces invalidations: charts within FLUSH_MS, lists and counts within SLOW_FLUSH_MS. */
class Invalidator {
  private pending = new Map<string, readonly unknown[]>();
  private slowPending = new Map<string, readonly unknown[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private slowTimer: ReturnType<typeof setTimeout> | null = null;
  private client: QueryClient;

  constructor(client: QueryClient) {
    this.client = client;
  }

  add(keyList: (readonly unknown[])[]) {
    for (const k of keyList) {
      const slow = SLOW_KEYS.has(String(k[0]));
      (slow ? this.slowPending : this.pending).set(JSON.stringify(k), k);
    }
    if (!this.timer && this.pending.size) this.timer = setTimeout(() => this.flush(false), FLUSH_MS);
    if (!this.slowTimer && this.slowPending.size) this.slowTimer = setTimeout(() => this.flush(true), SLOW_FLUSH_MS);
  }

  private flush(slow: boolean) {
    const pending = slow ? this.slowPending : this.pending;
    if (slow) this.slowTimer = null;
    else this.timer = null;
    const all = [...pending.values()];
    pending.clear();
    for (const queryKey of all) void this.client.invalidateQueries({ queryKey });
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
    if (this.slowTimer) clearTimeout(this.slowTimer);
  }
}

export function LiveProvider({ children, enabled = true }: { children: ReactNode; enabled?: boolean }) {
  const client = useQueryClient();
  const { user } = useSession();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [lastEventAt, setLastEventAt] = useState<number | null>(null);
  const interests = useRef(new Map<number, Interest>());
  const handlers = useRef(new Set<Handler>());
  const socketRef = useRef<WebSocket | null>(null);
  const sent = useRef({ c: new Set<number>(), h: new Set<number>() });
  const nextInterest = useRef(0);
  const [interestVersion, setInterestVersion] = useState(0);

  /** Bring the socket's subscriptions in line with what the mounted views want. */
  const syncSubscriptions = useCallback(() => {
    const ws = socketRef.current;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const want = { c: new Set<number>(), h: new Set<number>() };
    interests.current.forEach((i) => {
      i.characteristicIds?.forEach((id) => want.c.add(id));
      i.hierarchyIds?.forEach((id) => want.h.add(id));
    });
    const have = sent.current;
    const addC = [...want.c].filter((id) => !have.c.has(id));
    const dropC = [...have.c].filter((id) => !want.c.has(id));
    if (addC.length) ws.send(JSON.stringify({ type: 'subscribe', characteristic_ids: addC }));
    if (dropC.length) ws.send(JSON.stringify({ type: 'unsubscribe', characteristic_ids: dropC }));
    want.h.forEach((id) => have.h.has(id) || ws.send(JSON.stringify({ type: 'subscribe', hierarchy_id: id })));
    have.h.forEach((id) => want.h.has(id) || ws.send(JSON.stringify({ type: 'unsubscribe', hierarchy_id: id })));
    sent.current = want;
  }, []);

  useEffect(() => {
    syncSubscriptions();
  }, [interestVersion, syncSubscriptions]);

  const loggedIn = user !== null;
  useEffect(() => {
    if (!enabled || !loggedIn) {
      setStatus('offline');
      return;
    }
    const invalidator = new Invalidator(client);
    let stopped = false;
    let attempt = 0;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let watchdog: ReturnType<typeof setTimeout> | null = null;
    let wasLive = false;

    const armWatchdog = (ws: WebSocket, ms: number) => {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(() => ws.close(4000, 'no heartbeat'), ms);
    };
    // The server drops a socket whose access token expired: hand it each refreshed token,
    // and refresh in time when no API call did.
    const reauth = () => {
      const ws = socketRef.current;
      void session.accessToken().then((token) => {
        if (token && ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'auth', token }));
      });
    };
    const unsubscribeSession = session.subscribe(() => reauth());
    const keepFresh = setInterval(() => void session.accessToken(), 10_000);

    const scheduleReconnect = () => {
      if (stopped) return;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt, 4)) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      retryTimer = setTimeout(() => void connect(), delay);
    };

    const connect = async () => {
      if (stopped) return;
      setStatus((s) => (s === 'live' ? 'offline' : s));
      const token = await session.accessToken();
      if (stopped) return;
      if (!token) {
        setStatus('offline');
        return;
      }
      let ws: WebSocket;
      try {
        ws = new WebSocket(socketUrl(token));
      } catch {
        setStatus('offline');
        scheduleReconnect();
        return;
      }
      socketRef.current = ws;
      sent.current = { c: new Set(), h: new Set() };
      let heartbeats = false;
      let heartbeatMs = HEARTBEAT_TIMEOUT_MS;
      ws.onopen = () => {
        attempt = 0;
        setStatus('live');
        syncSubscriptions();
        if (wasLive) {
          // Catch up on what happened while the socket was down.
          invalidator.add([['chart'], keys.violations, keys.summary, keys.due]);
        }
        wasLive = true;
      };
      ws.onmessage = (msg) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(msg.data));
        } catch {
          return;
        }
        const events = explode(parsed);
        for (const event of events) {
          if (event.type === 'heartbeat') {
            heartbeats = true;
            const interval = Number((parsed as { interval?: unknown }).interval);
            if (interval > 0) heartbeatMs = Math.max(10_000, interval * 3000);
          }
          invalidator.add(staleKeys(event));
          handlers.current.forEach((h) => h(event));
        }
        if (heartbeats) armWatchdog(ws, heartbeatMs);
        if (events.some((e) => e.type !== 'heartbeat')) setLastEventAt(Date.now());
      };
      ws.onerror = () => undefined; // onclose follows and handles it
      ws.onclose = (ev) => {
        if (watchdog) clearTimeout(watchdog);
        if (socketRef.current === ws) socketRef.current = null;
        if (stopped) return;
        setStatus('offline');
        // 1008 / 4401 / 4403: the token was refused; refresh it before the next attempt.
        if (ev.code === 1008 || ev.code === 4401 || ev.code === 4403) {
          void session.refresh().finally(scheduleReconnect);
        } else {
          scheduleReconnect();
        }
      };
    };

    void connect();
    return () => {
      stopped = true;
      unsubscribeSession();
      clearInterval(keepFresh);
      if (retryTimer) clearTimeout(retryTimer);
      if (watchdog) clearTimeout(watchdog);
      invalidator.dispose();
      socketRef.current?.close(1000, 'page closed');
      socketRef.current = null;
    };
  }, [enabled, loggedIn, client, syncSubscriptions]);

  const register = useCallback((interest: Interest) => {
    const token = nextInterest.current++;
    interests.current.set(token, interest);
    setInterestVersion((v) => v + 1);
    return () => {
      interests.current.delete(token);
      setInterestVersion((v) => v + 1);
    };
  }, []);

  const onEvent = useCallback((handler: Handler) => {
    handlers.current.add(handler);
    return () => {
      handlers.current.delete(handler);
    };
  }, []);

  const value = useMemo(() => ({ status, lastEventAt, register, onEvent }), [status, lastEventAt, register, onEvent]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLiveStatus(): LiveStatus {
  return useContext(LiveContext).status;
}

export function useLastEventAt(): number | null {
  return useContext(LiveContext).lastEventAt;
}

/** Subscribe the page's socket to these characteristics (and hierarchy subtrees) while mounted. */
export function useLiveSubscription(characteristicIds: readonly number[], hierarchyIds: readonly number[] = []) {
  const { register } = useContext(LiveContext);
  const c = characteristicIds.join(',');
  const h = hierarchyIds.join(',');
  useEffect(() => {
    const list = (key: string) => (key ? key.split(',').map(Number) : []);
    return register({ characteristicIds: list(c), hierarchyIds: list(h) });
  }, [c, h, register]);
}

/** Call ``handler`` for every live event while mounted. */
export function useLiveEvents(handler: Handler) {
  const { onEvent } = useContext(LiveContext);
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => onEvent((e) => ref.current(e)), [onEvent]);
}

/** The refetch interval of a live view: none while the socket is up, ``ms`` while it is down. */
export function usePollInterval(ms = POLL_MS): number | false {
  return useLiveStatus() === 'live' ? false : ms;
}

// The signed-in user: tokens kept in localStorage, refreshed before they expire (one refresh
// at a time), and who the user is (name and role, from the access token's claims).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, configureClient, unwrap, type TokenPair } from './api';
import type { Role } from './roles';

const STORAGE_KEY = 'openspc.session';
const EARLY_REFRESH_MS = 30_000;

export interface User {
  username: string;
  role: Role;
}

interface Stored {
  access_token: string;
  refresh_token: string;
}

interface Claims {
  sub: string;
  role: Role;
  exp: number;
}

export function decodeClaims(token: string): Claims | null {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json) as Claims;
    return claims.sub && claims.role ? claims : null;
  } catch {
    return null;
  }
}

type Listener = (user: User | null) => void;

/** The one session store of the page (the API client and the WebSocket ask it for tokens). */
class SessionStore {
  private stored: Stored | null = null;
  private refreshing: Promise<boolean> | null = null;
  private listeners = new Set<Listener>();

  constructor() {
    try {
      const raw = localStorage.getItem(STORAGE_KEY);
      this.stored = raw ? (JSON.parse(raw) as Stored) : null;
    } catch {
      this.stored = null;
    }
    if (this.stored && !decodeClaims(this.stored.access_token)) this.stored = null;
    window.addEventListener('storage', (e) => {
      if (e.key === STORAGE_KEY) {
        this.stored = e.newValue ? (JSON.parse(e.newValue) as Stored) : null;
        this.emit();
      }
    });
  }

  get user(): User | null {
    const claims = this.stored && decodeClaims(this.stored.access_token);
    return claims ? { username: claims.sub, role: claims.role } : null;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit() {
    const user = this.user;
    this.listeners.forEach((l) => l(user));
  }

  set(pair: Stored | null) {
    this.stored = pair ? { access_token: pair.access_token, refresh_token: pair.refresh_token } : null;
    if (this.stored) localStorage.setItem(STORAGE_KEY, JSON.stringify(this.stored));
    else localStorage.removeItem(STORAGE_KEY);
    this.emit();
  }

  async accessToken(): Promise<string | null> {
    if (!this.stored) return null;
    const claims = decodeClaims(this.stored.access_token);
    if (claims && claims.exp * 1000 - Date.now() < EARLY_REFRESH_MS) await this.refresh();
    return this.stored?.access_token ?? null;
  }

  refresh(): Promise<boolean> {
    if (!this.stored) return Promise.resolve(false);
    if (!this.refreshing) {
      const refreshToken = this.stored.refresh_token;
      this.refreshing = unwrap(api.refreshToken({ body: { refresh_token: refreshToken } }))
        .then((pair) => {
          this.set(pair);
          return true;
        })
        .catch((err: unknown) => {
          // A refused refresh token ends the session; a network error keeps it for a retry.
          if (err instanceof ApiError && err.status === 401) this.set(null);
          return false;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }
}

export const session = new SessionStore();
configureClient(session);

interface SessionValue {
  user: User | null;
  login(username: string, password: string): Promise<void>;
  logout(): void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(() => session.user);
  useEffect(() => session.subscribe(setUser), []);

  const login = useCallback(async (username: string, password: string) => {
    const pair: TokenPair = await unwrap(api.login({ body: { username, password } }));
    session.set(pair);
  }, []);
  const logout = useCallback(() => session.set(null), []);
  const value = useMemo(() => ({ user, login, logout }), [user, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** For tests: a provider with a fixed user. */
export function StaticSessionProvider({ user, children }: { user: User | null; children: ReactNode }) {
  const value = useMemo(
    () => ({ user, login: async () => undefined, logout: () => undefined }),
    [user],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

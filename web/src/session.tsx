import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, onSessionEnded, storedToken, storeToken } from './api.js';
import type { Meta, User } from './types.js';

export interface Session {
  /** null: nobody logged in; undefined: still checking a stored token. */
  user: User | null | undefined;
  meta: Meta;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const FALLBACK_META: Meta = { timezone: 'Etc/GMT+4', map_style_url: null };
const SessionContext = createContext<Session | null>(null);

/** The logged-in user (from the stored token, checked with GET /auth/me), and the server's settings (GET /meta). */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(storedToken() ? undefined : null);
  const [meta, setMeta] = useState<Meta>(FALLBACK_META);

  useEffect(() => {
    api<Meta>('/meta').then(setMeta, () => undefined);
    if (storedToken()) {
      api<User>('/auth/me').then(setUser, (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) storeToken(null);
        setUser(null);
      });
    }
    return onSessionEnded(() => {
      storeToken(null);
      setUser(null);
    });
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const { token } = await api<{ token: string }>('/auth/login', { method: 'POST', body: { email, password } });
    storeToken(token);
    setUser(await api<User>('/auth/me'));
  }, []);

  const logout = useCallback(async () => {
    try {
      await api('/auth/logout', { method: 'POST' });
    } catch {
      // The session ends here whatever the server says (it may already have expired).
    }
    storeToken(null);
    setUser(null);
  }, []);

  const value = useMemo(() => ({ user, meta, login, logout }), [user, meta, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

export const isStaff = (u: User | null | undefined) => u?.role === 'admin' || u?.role === 'operator';

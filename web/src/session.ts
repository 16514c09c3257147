import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './api/client';

export interface SessionState {
  session: Session;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

/** The signed-in session; pages under the signed-in layout only. */
export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

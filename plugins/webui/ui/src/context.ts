import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConnectionState } from './rpc';
import type { Camera, Recording, Role } from './state';

/** What every page gets from the signed-in console. */
export interface Session {
  call<T = any>(method: string, params?: Record<string, unknown>): Promise<T>;
  role: Role;
  connection: ConnectionState;
  /** Increases after every (re)connect; pages reload their data when it changes. */
  generation: number;
  cameras: Camera[];
  recordings: Record<string, Recording>;
  /** Notifications other than camera/recording state (snapshot_taken, storage_status_update, system_health_update). */
  onNotification(listener: (method: string, params: any) => void): () => void;
  toast(message: string, kind?: 'error' | 'info'): void;
  /** Ticks once a second (elapsed-time badges). */
  now: number;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AUTH_FAILED, RpcClient, RpcError, errorText, authFailureText, type ConnectionState } from './rpc';
import { applyCameraUpdate, applyExternalStreamUpdate, applyRecordingUpdate, recordingFromStatus, sortCameras, type Camera, type Recording, type Role } from './state';
import { SessionContext, type Session } from './context';
import { useRoute } from './route';
import { CameraGrid, CameraPage } from './cameras';
import { FilesPage } from './files';
import { SystemPage } from './system';

const TOKEN_KEY = 'camera-service.token';
const TOPICS = ['camera_status_update', 'recording_status_update', 'snapshot.taken', 'storage.warning', 'storage.critical', 'system_health_update', 'camera.controls'];

function webSocketUrl(): string {
  const path = document.querySelector<HTMLMetaElement>('meta[name="cs-ws-path"]')?.content || '/ws';
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

export function App() {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [reason, setReason] = useState<string | null>(null);
  const [redeeming, setRedeeming] = useState(false);

  // A demo link (#signin=<one-time code>): exchange the code for the token, then forget the code. Also when the link
  // is opened in a tab that already shows the console (only the fragment changes: no page load).
  useEffect(() => {
    const redeem = () => {
      const m = location.hash.match(/signin=([A-Za-z0-9_-]{1,128})/);
      if (!m) return;
      history.replaceState(null, '', `${location.pathname}#/cameras`);
      setRedeeming(true);
      fetch(`/webui/signin/${m[1]}`, { cache: 'no-store' })
        .then(async (r) => {
          const body = await r.json().catch(() => ({}));
          if (!r.ok || typeof body.token !== 'string') throw new Error(body.message || `Sign-in link refused (HTTP ${r.status}).`);
          sessionStorage.setItem(TOKEN_KEY, body.token);
          setReason(null);
          setToken(body.token);
        })
        .catch((e) => {
          sessionStorage.removeItem(TOKEN_KEY);
          setToken(null);
          setReason(errorText(e));
        })
        .finally(() => setRedeeming(false));
    };
    redeem();
    addEventListener('hashchange', redeem);
    return () => removeEventListener('hashchange', redeem);
  }, []);

  const signOut = useCallback((why: string | null) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setReason(why);
  }, []);

  if (redeeming) return <p class="boot">Signing in…</p>;
  if (!token) {
    return <Login reason={reason} onSubmit={(t) => { sessionStorage.setItem(TOKEN_KEY, t); setReason(null); setToken(t); }} />;
  }
  return <Console key={token} token={token} onSignOut={signOut} />;
}

function Login({ reason, onSubmit }: { reason: string | null; onSubmit: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <main class="login">
      <form
        class="card login-card"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onSubmit(value.trim());
        }}
      >
        <h1><Logo /> camera-service</h1>
        <p class="muted">Sign in with a JWT or an API key (<code>csk_…</code>). It is kept in this tab only.</p>
        {reason && <p class="alert" role="alert">{reason}</p>}
        <label for="token">Token or API key</label>
        <textarea id="token" data-testid="login-token" rows={4} autocomplete="off" spellcheck={false} value={value}
          onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); if (value.trim()) onSubmit(value.trim()); } }} />
        <button type="submit" class="primary" data-testid="login-submit" disabled={!value.trim()}>Sign in</button>
        <p class="muted small">Get one with <code>camera-service token create --role operator</code> or <code>camera-service apikey create --role viewer</code>.</p>
      </form>
    </main>
  );
}

export function Logo() {
  return <img class="logo" src="/webui/favicon.svg" alt="" width={28} height={28} />;
}

interface Auth { role: Role; expires_at: string | null; session_id: string }

function Console({ token, onSignOut }: { token: string; onSignOut: (why: string | null) => void }) {
  const route = useRoute();
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [auth, setAuth] = useState<Auth | null>(null);
  const [generation, setGeneration] = useState(0);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [recordings, setRecordings] = useState<Record<string, Recording>>({});
  const [toasts, setToasts] = useState<{ id: number; text: string; kind: string }[]>([]);
  const [now, setNow] = useState(() => Date.now());
  const authRef = useRef<Auth | null>(null);
  const listeners = useRef(new Set<(m: string, p: any) => void>());
  const toastId = useRef(0);

  const client = useMemo(() => new RpcClient(webSocketUrl(), {
    handshake: async (c) => {
      authRef.current = await c.call<Auth>('authenticate', { auth_token: token });
      await c.call('subscribe_events', { topics: TOPICS });
    },
  }), [token]);

  const toast = useCallback((text: string, kind: 'error' | 'info' = 'error') => {
    const id = ++toastId.current;
    setToasts((t) => [...t.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);

  const call = useCallback(async <T,>(method: string, params?: Record<string, unknown>): Promise<T> => {
    try {
      return await client.call<T>(method, params);
    } catch (e) {
      if (e instanceof RpcError && e.code === AUTH_FAILED) onSignOut(`Signed out: ${authFailureText(e)}`);
      throw e;
    }
  }, [client, onSignOut]);

  useEffect(() => {
    const offState = client.onState((state, detail) => {
      setConnection(state);
      if (state === 'stopped' && detail) onSignOut(detail);
      if (state === 'ready') {
        setAuth(authRef.current);
        setGeneration((g) => g + 1);
      }
    });
    const offNote = client.onNotification((method, params) => {
      if (method === 'camera_status_update') setCameras((c) => applyCameraUpdate(c, params));
      else if (method === 'recording_status_update') setRecordings((r) => applyRecordingUpdate(r, params, Date.now()));
      else if (method === 'external_stream_update') setCameras((c) => applyExternalStreamUpdate(c, params));
      for (const l of listeners.current) l(method, params);
    });
    client.start();
    return () => { offState(); offNote(); client.stop(); };
  }, [client, onSignOut]);

  // After each (re)connect: the camera list and who records, then notifications keep both current.
  useEffect(() => {
    if (generation === 0) return;
    let cancelled = false;
    (async () => {
      try {
        const list = await client.call<{ cameras: Camera[] }>('get_camera_list');
        if (cancelled) return;
        setCameras(sortCameras(list.cameras));
        const entries = await Promise.all(list.cameras.map(async (cam) => {
          try {
            return [cam.device, recordingFromStatus(await client.call('get_recording_status', { device: cam.device }), Date.now())] as const;
          } catch {
            return [cam.device, null] as const;
          }
        }));
        if (cancelled) return;
        const map: Record<string, Recording> = {};
        for (const [device, rec] of entries) if (rec) map[device] = rec;
        setRecordings(map);
      } catch (e) {
        if (!cancelled) toast(errorText(e));
      }
    })();
    return () => { cancelled = true; };
  }, [generation, client, toast]);

  // A credential can expire or be revoked while the console sits idle; notifications then just stop. Ask the service
  // when the credential expires, when the page is shown again and once a minute: a refusal signs out with the reason.
  useEffect(() => {
    if (!auth) return;
    const ask = () => { call('get_camera_list').catch(() => { /* a refusal signs out in call(); other errors are shown elsewhere */ }); };
    const onVisible = () => { if (document.visibilityState === 'visible') ask(); };
    const untilExpiry = auth.expires_at ? Date.parse(auth.expires_at) - Date.now() + 500 : NaN;
    const expiry = Number.isFinite(untilExpiry) && untilExpiry < 2 ** 31 - 1 ? setTimeout(ask, Math.max(0, untilExpiry)) : undefined;
    const minute = setInterval(onVisible, 60_000);
    document.addEventListener('visibilitychange', onVisible);
    return () => { clearTimeout(expiry); clearInterval(minute); document.removeEventListener('visibilitychange', onVisible); };
  }, [auth, call]);

  const anyRecording = Object.keys(recordings).length > 0;
  useEffect(() => {
    if (!anyRecording) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [anyRecording]);

  const session: Session | null = useMemo(() => auth && {
    call, role: auth.role, connection, generation, cameras, recordings, toast, now,
    onNotification: (l) => { listeners.current.add(l); return () => listeners.current.delete(l); },
  }, [auth, call, connection, generation, cameras, recordings, toast, now]);

  if (!session) {
    return <p class="boot" role="status">{connection === 'reconnecting' ? 'Cannot reach the service; retrying…' : 'Connecting…'}</p>;
  }

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="#/cameras"><Logo /> <span>camera-service</span></a>
        <nav aria-label="Main">
          <a href="#/cameras" aria-current={route.page === 'cameras' || route.page === 'camera' ? 'page' : undefined}>Cameras</a>
          <a href="#/files/recordings" aria-current={route.page === 'files' ? 'page' : undefined}>Files</a>
          <a href="#/system" aria-current={route.page === 'system' ? 'page' : undefined}>System</a>
        </nav>
        <div class="who">
          <span class={`conn conn-${connection}`} data-testid="connection-state" data-state={connection} role="status">
            {connection === 'ready' ? 'Live' : 'Reconnecting…'}
          </span>
          <span class={`role role-${session.role}`} data-testid="role" title="Your role">{session.role}</span>
          <button type="button" class="ghost" data-testid="sign-out" onClick={() => onSignOut(null)}>Sign out</button>
        </div>
      </header>
      {connection !== 'ready' && (
        <div class="banner" role="status">The connection to the service was lost. Reconnecting by itself — no need to reload.</div>
      )}
      <main id="main" tabIndex={-1}>
        {route.page === 'cameras' && <CameraGrid />}
        {route.page === 'camera' && <CameraPage device={route.arg!} />}
        {route.page === 'files' && <FilesPage kind={route.arg as 'recordings' | 'snapshots'} query={route.query} />}
        {route.page === 'system' && <SystemPage />}
      </main>
      <div class="toasts" aria-live="assertive">
        {toasts.map((t) => <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid="toast">{t.text}</div>)}
      </div>
    </SessionContext.Provider>
  );
}

// A JSON-RPC 2.0 client over one WebSocket that reconnects by itself. After every (re)connect it runs the
// `handshake` (authenticate + subscribe_events) before it reports 'ready', so a restarted service gets the
// session back without a page reload. Calls made while not ready fail at once with a clear message.

export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

export const AUTH_FAILED = -32001;
export const PERMISSION_DENIED = -32002;
export const NOT_CONNECTED = -1;

export type ConnectionState = 'connecting' | 'ready' | 'reconnecting' | 'stopped';

/** What the client needs of a WebSocket (tests pass a fake). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RpcClientOptions {
  createSocket?: (url: string) => SocketLike;
  timers?: Timers;
  /** Per-call timeout (ms). */
  callTimeout?: number;
  /** Runs after each connect, before 'ready'; a rejection with AUTH_FAILED stops the client. */
  handshake?: (client: RpcClient) => Promise<void>;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: unknown };

/** Delay before reconnect attempt n (0-based): 0.5 s doubling to 5 s. */
export function backoff(attempt: number): number {
  return Math.min(5000, 500 * 2 ** Math.min(attempt, 4));
}

export class RpcClient {
  private readonly url: string;
  private readonly createSocket: (url: string) => SocketLike;
  private readonly timers: Timers;
  private readonly callTimeout: number;
  private readonly handshake?: (client: RpcClient) => Promise<void>;
  private socket: SocketLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private handshaking = false;
  private stateListeners = new Set<(s: ConnectionState, detail?: string) => void>();
  private notificationListeners = new Set<(method: string, params: any) => void>();
  state: ConnectionState = 'stopped';

  constructor(url: string, options: RpcClientOptions = {}) {
    this.url = url;
    this.createSocket = options.createSocket ?? ((u) => new WebSocket(u) as unknown as SocketLike);
    this.timers = options.timers ?? { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as number) };
    this.callTimeout = options.callTimeout ?? 30000;
    this.handshake = options.handshake;
  }

  onState(listener: (s: ConnectionState, detail?: string) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onNotification(listener: (method: string, params: any) => void): () => void {
    this.notificationListeners.add(listener);
    return () => this.notificationListeners.delete(listener);
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.setState('connecting');
    this.open();
  }

  stop(): void {
    this.setState('stopped');
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, 'signed out');
    }
    this.failPending('The console closed the connection.');
  }

  /** Calls a method; resolves with its result or rejects with an RpcError carrying the API's message. */
  call<T = any>(method: string, params?: Record<string, unknown>): Promise<T> {
    const ready = this.state === 'ready' || (this.handshaking && this.socket?.readyState === 1);
    if (!ready || !this.socket) {
      return Promise.reject(new RpcError(NOT_CONNECTED, 'Not connected to the service; reconnecting…'));
    }
    const id = this.nextId++;
    const message = JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id });
    return new Promise<T>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError(NOT_CONNECTED, `The service did not answer ${method} in time.`));
      }, this.callTimeout);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket!.send(message);
    });
  }

  private open(): void {
    const socket = this.createSocket(this.url);
    this.socket = socket;
    socket.onopen = () => void this.afterOpen(socket);
    socket.onmessage = (ev) => this.receive(ev.data);
    socket.onerror = () => { /* onclose follows */ };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.handshaking = false;
      this.failPending('The connection to the service was lost; reconnecting…');
      if (this.state === 'stopped') return;
      this.setState('reconnecting');
      const delay = backoff(this.attempt++);
      this.reconnectTimer = this.timers.setTimeout(() => {
        this.reconnectTimer = null;
        if (this.state !== 'stopped') this.open();
      }, delay);
    };
  }

  private async afterOpen(socket: SocketLike): Promise<void> {
    if (this.socket !== socket) return;
    this.handshaking = true;
    try {
      if (this.handshake) await this.handshake(this);
      if (this.socket !== socket) return;
      this.handshaking = false;
      this.attempt = 0;
      this.setState('ready');
    } catch (e) {
      this.handshaking = false;
      if (e instanceof RpcError && e.code === AUTH_FAILED) {
        this.stop();
        this.setState('stopped', authFailureText(e));
        return;
      }
      // Anything else (e.g. the service is still starting): drop the socket and try again.
      socket.close(4000, 'handshake failed');
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: any;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    for (const m of Array.isArray(message) ? message : [message]) {
      if (m && typeof m === 'object' && 'id' in m && m.id !== null && this.pending.has(m.id)) {
        const p = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        this.timers.clearTimeout(p.timer);
        if (m.error) p.reject(new RpcError(m.error.code, m.error.message, m.error.data));
        else p.resolve(m.result);
      } else if (m && typeof m.method === 'string' && !('id' in m)) {
        for (const l of this.notificationListeners) l(m.method, m.params ?? {});
      }
    }
  }

  private failPending(reason: string): void {
    for (const [, p] of this.pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new RpcError(NOT_CONNECTED, reason));
    }
    this.pending.clear();
  }

  private setState(state: ConnectionState, detail?: string): void {
    this.state = state;
    for (const l of this.stateListeners) l(state, detail);
  }
}

/** Why the service refused the credential (`data.reason` of -32001), in words a person acts on; the API's text otherwise. */
const AUTH_REASONS: Record<string, string> = {
  token_expired: 'your sign-in has expired — sign in again',
  api_key_revoked: 'this API key has been revoked — ask an administrator for a new one',
  token_revoked: 'this token has been revoked — ask an administrator for a new one',
  unknown_api_key: 'the service does not know this API key',
};

/** The sign-in page's message after the service refused the console's credential. */
export function authFailureText(error: unknown): string {
  const reason = error instanceof RpcError ? (error.data as Record<string, unknown> | undefined)?.reason : undefined;
  const words = typeof reason === 'string' ? AUTH_REASONS[reason] : undefined;
  return words ? `${words[0].toUpperCase()}${words.slice(1)} (${reason}).` : errorText(error);
}

/** The text to show for a failed call: the API's own message, plus its detail when it adds something. */
export function errorText(error: unknown): string {
  if (error instanceof RpcError) {
    const data = error.data as Record<string, unknown> | undefined;
    const extra = data && typeof data === 'object'
      ? [data.message, data.detail, data.reason].find((v) => typeof v === 'string' && v.length > 0 && v !== error.message)
      : undefined;
    if (extra) return `${error.message}: ${extra}`;
    // -32602 names the parameter and the rule it broke (e.g. time_zone: 'Mars/Olympus' is not a known IANA time zone).
    return data && typeof data.param === 'string' && typeof data.rule === 'string'
      ? `${error.message}: ${data.param}: ${data.rule}`
      : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUTH_FAILED, RpcClient, RpcError, authFailureText, backoff, errorText, type SocketLike } from '../src/rpc';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: any[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = false;
  send(data: string) { this.sent.push(JSON.parse(data)); }
  close() { this.closed = true; this.readyState = 3; this.onclose?.({}); }
  open() { this.readyState = 1; this.onopen?.({}); }
  reply(result: unknown, error?: unknown) {
    const last = this.sent[this.sent.length - 1];
    this.onmessage?.({ data: JSON.stringify(error ? { jsonrpc: '2.0', id: last.id, error } : { jsonrpc: '2.0', id: last.id, result }) });
  }
  drop() { this.readyState = 3; this.onclose?.({}); }
}

class ManualTimers {
  queue: { fn: () => void; ms: number; id: number }[] = [];
  next = 1;
  setTimeout(fn: () => void, ms: number) { const id = this.next++; this.queue.push({ fn, ms, id }); return id; }
  clearTimeout(h: unknown) { this.queue = this.queue.filter((t) => t.id !== h); }
  /** Runs the timers of at most `ms` delay (reconnects, not call timeouts). */
  runShort(ms = 10000) { const due = this.queue.filter((t) => t.ms <= ms); this.queue = this.queue.filter((t) => t.ms > ms); due.forEach((t) => t.fn()); }
}

const tick = () => new Promise((r) => setImmediate(r));

function setup() {
  const sockets: FakeSocket[] = [];
  const timers = new ManualTimers();
  const calls: string[] = [];
  const client = new RpcClient('ws://x/ws', {
    createSocket: () => { const s = new FakeSocket(); sockets.push(s); return s; },
    timers,
    handshake: async (c) => {
      calls.push('handshake');
      await c.call('authenticate', { auth_token: 't' });
      await c.call('subscribe_events', { topics: ['camera_status_update'] });
    },
  });
  return { sockets, timers, client, calls };
}

async function completeHandshake(s: FakeSocket) {
  s.open();
  await tick();
  assert.equal(s.sent.at(-1).method, 'authenticate');
  s.reply({ authenticated: true, role: 'admin' });
  await tick();
  assert.equal(s.sent.at(-1).method, 'subscribe_events');
  s.reply({ subscribed: true });
  await tick();
}

test('handshake authenticates and subscribes before ready, then calls resolve with results', async () => {
  const { sockets, client } = setup();
  const states: string[] = [];
  client.onState((s) => states.push(s));
  client.start();
  await completeHandshake(sockets[0]);
  assert.deepEqual(states, ['connecting', 'ready']);
  const p = client.call('get_camera_list');
  sockets[0].reply({ cameras: [] });
  assert.deepEqual(await p, { cameras: [] });
});

test('an error answer rejects with the API code, message and data', async () => {
  const { sockets, client } = setup();
  client.start();
  await completeHandshake(sockets[0]);
  const p = client.call('delete_recording', { filename: 'a.mp4' });
  sockets[0].reply(undefined, { code: -32020, message: 'Invalid state', data: { message: 'The recording is still being written.' } });
  await assert.rejects(p, (e: unknown) => e instanceof RpcError && e.code === -32020 && errorText(e) === 'Invalid state: The recording is still being written.');
});

test('after the connection drops it reconnects, runs the handshake again and is ready', async () => {
  const { sockets, timers, client, calls } = setup();
  const states: string[] = [];
  client.onState((s) => states.push(s));
  client.start();
  await completeHandshake(sockets[0]);
  const pending = client.call('get_metrics');
  sockets[0].drop();
  await assert.rejects(pending, /lost/);
  assert.equal(client.state, 'reconnecting');
  await assert.rejects(client.call('ping'), /Not connected/);
  timers.runShort();
  assert.equal(sockets.length, 2);
  await completeHandshake(sockets[1]);
  assert.deepEqual(states, ['connecting', 'ready', 'reconnecting', 'ready']);
  assert.deepEqual(calls, ['handshake', 'handshake']);
});

test('a refused credential in the handshake stops the client with the reason', async () => {
  const { sockets, client } = setup();
  let detail: string | undefined;
  client.onState((s, d) => { if (s === 'stopped') detail = d; });
  client.start();
  sockets[0].open();
  await tick();
  sockets[0].reply(undefined, { code: AUTH_FAILED, message: 'Authentication failed', data: { reason: 'token_expired' } });
  await tick();
  assert.equal(client.state, 'stopped');
  assert.equal(detail, 'Your sign-in has expired — sign in again (token_expired).');
  assert.equal(sockets.length, 1);
});

test('a refused credential is explained by its reason; an unknown reason shows the API text', () => {
  const refused = (reason: string) => new RpcError(AUTH_FAILED, 'Authentication failed', { reason });
  assert.equal(authFailureText(refused('api_key_revoked')), 'This API key has been revoked — ask an administrator for a new one (api_key_revoked).');
  assert.equal(authFailureText(refused('token_revoked')), 'This token has been revoked — ask an administrator for a new one (token_revoked).');
  assert.equal(authFailureText(refused('invalid_token')), 'Authentication failed: invalid_token');
  assert.equal(authFailureText(new Error('boom')), 'boom');
});

test('notifications reach listeners; responses do not', async () => {
  const { sockets, client } = setup();
  const seen: [string, any][] = [];
  client.onNotification((m, p) => seen.push([m, p]));
  client.start();
  await completeHandshake(sockets[0]);
  sockets[0].onmessage?.({ data: JSON.stringify({ jsonrpc: '2.0', method: 'camera_status_update', params: { device: 'camera0', status: 'DISCONNECTED' } }) });
  sockets[0].onmessage?.({ data: 'not json' });
  assert.deepEqual(seen, [['camera_status_update', { device: 'camera0', status: 'DISCONNECTED' }]]);
});

test('backoff grows to 5 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 10].map(backoff), [500, 1000, 2000, 4000, 5000, 5000]);
});

test('errorText prefers the API message and adds its detail', () => {
  assert.equal(errorText(new RpcError(-32010, 'Not found', { message: "The camera 'camera9' does not exist." })), "Not found: The camera 'camera9' does not exist.");
  assert.equal(errorText(new RpcError(-32001, 'Authentication failed', { reason: 'api_key_revoked' })), 'Authentication failed: api_key_revoked');
  assert.equal(errorText(new RpcError(-32602, 'Invalid params', { param: 'time_zone', rule: "'Mars/Olympus' is not a known IANA time zone" })),
    "Invalid params: time_zone: 'Mars/Olympus' is not a known IANA time zone");
  assert.equal(errorText(new Error('boom')), 'boom');
});

import { useEffect, useState } from 'preact/hooks';
import { useSession } from './context';
import { errorText } from './rpc';
import { allowed, metricSample, pushSample, storageLevel, type Series } from './state';
import { formatBytes, formatDuration, formatTime } from './format';
import { Chart } from './chart';

export function SystemPage() {
  const s = useSession();
  const admin = allowed(s.role, 'admin');
  return (
    <section class="system">
      <div class="page-head"><h1>System</h1></div>
      {admin ? (
        <>
          <div class="system-grid">
            <HealthCard />
            <StorageCard />
            <RetentionCard />
          </div>
          <MetricsCharts />
          <ApiKeysCard />
        </>
      ) : <p class="muted">Health, storage, retention, API keys and metrics need the admin role; your role is {s.role}.</p>}
      <ServerCard />
    </section>
  );
}

function useLoad<T>(method: string, deps: unknown[] = []): [T | null, string | null, () => void] {
  const s = useSession();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    let cancelled = false;
    s.call<T>(method).then((r) => { if (!cancelled) { setData(r); setError(null); } }, (e) => { if (!cancelled) setError(errorText(e)); });
    return () => { cancelled = true; };
  }, [method, s.generation, n, ...deps]);
  return [data, error, () => setN((x) => x + 1)];
}

function HealthCard() {
  const s = useSession();
  const [status, error, reload] = useLoad<any>('get_status');
  useEffect(() => s.onNotification((m) => { if (m === 'system_health_update') reload(); }), []);
  return (
    <div class="card">
      <h2>Health</h2>
      {error && <p class="alert">{error}</p>}
      {status && (
        <>
          <p><span class={`pill pill-${String(status.status).toLowerCase()}`} data-testid="health-status" data-status={status.status}>{status.status}</span>
            <span class="muted small"> version {status.version} · up {formatDuration(status.uptime)}</span></p>
          <ul class="components">
            {Object.entries(status.components ?? {}).map(([name, state]) => (
              <li key={name}><span class={`state state-${String(state).toLowerCase()}`} aria-hidden="true" />{name.replace(/_/g, ' ')} <span class="muted">{String(state)}</span></li>
            ))}
          </ul>
          {status.alerts?.length > 0 && <ul class="alerts">{status.alerts.map((a: string) => <li key={a}>{a}</li>)}</ul>}
        </>
      )}
    </div>
  );
}

function StorageCard() {
  const s = useSession();
  const [info, error, reload] = useLoad<any>('get_storage_info');
  useEffect(() => s.onNotification((m) => { if (m === 'storage_status_update') reload(); }), []);
  const usage = info ? Number(info.usage_percentage) : 0;
  const level = info ? storageLevel(usage, info.warn_percent, info.block_percent) : 'ok';
  return (
    <div class="card">
      <h2>Storage</h2>
      {error && <p class="alert">{error}</p>}
      {info && (
        <>
          <div class={`gauge gauge-${level}`} data-testid="storage-gauge" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(usage)}
            aria-label={`Disk ${usage.toFixed(1)}% used; warning at ${info.warn_percent}%, recording blocked at ${info.block_percent}%`}>
            <div class="gauge-fill" style={{ width: `${Math.min(100, usage)}%` }} />
            <div class="gauge-mark warn" style={{ left: `${info.warn_percent}%` }} title={`warning at ${info.warn_percent}%`} />
            <div class="gauge-mark block" style={{ left: `${info.block_percent}%` }} title={`blocked at ${info.block_percent}%`} />
          </div>
          <p class="gauge-text"><strong>{usage.toFixed(1)}%</strong> used · {formatBytes(info.available_space)} free of {formatBytes(info.total_space)}</p>
          <p class="muted small">Warning at {info.warn_percent}% · new recordings and snapshots refused at {info.block_percent}%</p>
          <dl class="kv">
            <dt>Recordings</dt><dd>{formatBytes(info.recordings_size)}</dd>
            <dt>Snapshots</dt><dd>{formatBytes(info.snapshots_size)}</dd>
          </dl>
        </>
      )}
    </div>
  );
}

function RetentionCard() {
  const s = useSession();
  const [policy, error] = useLoad<any>('get_retention_policy');
  const [form, setForm] = useState<any>(null);
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { if (policy) setForm({ ...policy }); }, [policy]);
  const set = (k: string, v: unknown) => setForm((f: any) => ({ ...f, [k]: v }));
  const num = (v: unknown) => (v === '' || v === null || v === undefined ? undefined : Number(v));
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const params: Record<string, unknown> = { policy_type: form.policy_type, enabled: !!form.enabled };
      for (const k of ['max_age_days', 'max_size_gb', 'min_free_percent']) if (num(form[k]) !== undefined) params[k] = num(form[k]);
      const r = await s.call('set_retention_policy', params);
      setResult(r.message);
      s.toast(r.message, 'info');
    } catch (err) {
      setResult(errorText(err));
      s.toast(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const cleanup = async () => {
    setBusy(true);
    try {
      const r = await s.call('cleanup_old_files');
      setResult(`${r.message} (${r.files_deleted} file${r.files_deleted === 1 ? '' : 's'} deleted, ${formatBytes(r.space_freed)} freed)`);
    } catch (err) {
      setResult(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card">
      <h2>Retention</h2>
      {error && <p class="alert">{error}</p>}
      {form && (
        <form class="form" onSubmit={save} data-testid="retention-form">
          <label>Policy
            <select value={form.policy_type} data-testid="retention-type" onChange={(e) => set('policy_type', (e.target as HTMLSelectElement).value)}>
              <option value="age">By age — delete files older than…</option>
              <option value="size">By size — keep media below…</option>
              <option value="manual">Manual — only when I clean up</option>
            </select>
          </label>
          <label class="check-label"><input type="checkbox" checked={!!form.enabled} data-testid="retention-enabled" onChange={(e) => set('enabled', (e.target as HTMLInputElement).checked)} /> Apply automatically</label>
          {form.policy_type === 'age' && <label>Maximum age (days)<input type="number" min={0.001} step="any" required value={form.max_age_days ?? ''} data-testid="retention-max-age" onInput={(e) => set('max_age_days', (e.target as HTMLInputElement).value)} /></label>}
          {form.policy_type === 'size' && <label>Maximum size (GB)<input type="number" min={0.001} step="any" required value={form.max_size_gb ?? ''} data-testid="retention-max-size" onInput={(e) => set('max_size_gb', (e.target as HTMLInputElement).value)} /></label>}
          <label>Keep at least this much disk free (%)<input type="number" min={0} max={100} step="any" value={form.min_free_percent ?? ''} onInput={(e) => set('min_free_percent', (e.target as HTMLInputElement).value)} /></label>
          <div class="row">
            <button type="submit" class="primary" disabled={busy} data-testid="retention-save">Save policy</button>
            <button type="button" disabled={busy} onClick={cleanup} data-testid="cleanup-button">Clean up now</button>
          </div>
          {result && <p class="result" role="status" data-testid="retention-result">{result}</p>}
        </form>
      )}
    </div>
  );
}

const CHART_POINTS = 90;
const empty: Series = { times: [], values: {} };

function MetricsCharts() {
  const s = useSession();
  const [series, setSeries] = useState<Series>(empty);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (s.connection !== 'ready') return;
    let stopped = false;
    const sample = async () => {
      try {
        const m = await s.call('get_metrics');
        if (stopped) return;
        setSeries((old) => pushSample(old, Date.now() / 1000, metricSample(m), CHART_POINTS));
        setError(null);
      } catch (e) {
        if (!stopped) setError(errorText(e));
      }
    };
    void sample();
    const t = setInterval(sample, 2000);
    return () => { stopped = true; clearInterval(t); };
  }, [s.connection, s.generation]);
  return (
    <section class="charts-section">
      <h2>Live metrics <span class="muted small">sampled every 2 s while this page is open</span></h2>
      {error && <p class="alert">{error}</p>}
      <div class="charts">
        <Chart title="Requests per second" data={series} unit="" lines={[{ key: 'rps', label: 'req/s', color: '#38bdf8' }]} />
        <Chart title="p95 latency" data={series} unit=" ms" lines={[{ key: 'p95', label: 'p95', color: '#a78bfa' }]} />
        <Chart title="Sessions" data={series} unit="" lines={[{ key: 'sessions', label: 'sessions', color: '#34d399' }]} />
        <Chart title="CPU, memory, disk" data={series} unit="%" max={100} lines={[{ key: 'cpu', label: 'CPU', color: '#f59e0b' }, { key: 'memory', label: 'memory', color: '#f472b6' }, { key: 'disk', label: 'disk', color: '#60a5fa' }]} />
      </div>
    </section>
  );
}

const EXPIRY = [{ label: 'Never', seconds: 0 }, { label: '1 day', seconds: 86400 }, { label: '30 days', seconds: 30 * 86400 }, { label: '90 days', seconds: 90 * 86400 }, { label: '1 year', seconds: 365 * 86400 }];

function ApiKeysCard() {
  const s = useSession();
  const [list, error, reload] = useLoad<any>('list_api_keys');
  const [name, setName] = useState('');
  const [role, setRole] = useState('viewer');
  const [expiry, setExpiry] = useState(0);
  const [created, setCreated] = useState<{ key: string; id: string } | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await s.call('create_api_key', { role, ...(name.trim() ? { name: name.trim() } : {}), ...(expiry ? { expires_in_seconds: expiry } : {}) });
      setCreated({ key: r.key, id: r.api_key.id });
      setName('');
      reload();
    } catch (err) {
      s.toast(errorText(err));
    }
  };
  const revoke = async (id: string) => {
    if (!confirm(`Revoke ${id}? Clients using it are refused from their next call.`)) return;
    try {
      await s.call('revoke_api_key', { id });
      s.toast(`${id} revoked.`, 'info');
      reload();
    } catch (err) {
      s.toast(errorText(err));
    }
  };
  return (
    <div class="card">
      <h2>API keys</h2>
      {error && <p class="alert">{error}</p>}
      <form class="row wrap" onSubmit={create} data-testid="apikey-form">
        <input placeholder="Name (e.g. kiosk)" value={name} maxLength={100} aria-label="Key name" onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <select value={role} aria-label="Role" onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
          <option value="viewer">viewer</option><option value="operator">operator</option><option value="admin">admin</option>
        </select>
        <select value={String(expiry)} aria-label="Expires" onChange={(e) => setExpiry(Number((e.target as HTMLSelectElement).value))}>
          {EXPIRY.map((x) => <option key={x.label} value={String(x.seconds)}>{x.seconds ? `expires in ${x.label}` : 'never expires'}</option>)}
        </select>
        <button type="submit" class="primary" data-testid="apikey-create">Create key</button>
      </form>
      {created && (
        <div class="created" role="status">
          <p>New key <span class="mono">{created.id}</span> — copy it now, it is not shown again:</p>
          <input readOnly class="mono" value={created.key} data-testid="apikey-secret" aria-label="The new API key" onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <button type="button" class="ghost" onClick={() => setCreated(null)}>Done</button>
        </div>
      )}
      {list && (
        <div class="table-wrap">
          <table>
            <thead><tr><th>Id</th><th>Name</th><th>Role</th><th>Created</th><th>Expires</th><th>Status</th><th /></tr></thead>
            <tbody>
              {list.keys.length === 0 && <tr><td colSpan={7} class="muted">No API keys yet.</td></tr>}
              {list.keys.map((k: any) => (
                <tr key={k.id} data-testid="apikey-row" data-id={k.id}>
                  <td class="mono">{k.id}</td><td>{k.name ?? '—'}</td><td>{k.role}</td><td>{formatTime(k.created_at)}</td><td>{k.expires_at ? formatTime(k.expires_at) : 'never'}</td>
                  <td><span class={`pill pill-${k.status.toLowerCase()}`}>{k.status}</span></td>
                  <td>{k.status === 'ACTIVE' && <button type="button" class="ghost danger-text" onClick={() => revoke(k.id)}>Revoke</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ServerCard() {
  const [info, error] = useLoad<any>('get_server_info');
  return (
    <div class="card">
      <h2>Server</h2>
      {error && <p class="alert">{error}</p>}
      {info && (
        <>
          <dl class="kv">
            <dt>Name</dt><dd>{info.name}</dd>
            <dt>Version</dt><dd>{info.version} <span class="muted small">built {info.build_date}</span></dd>
            <dt>Runtime</dt><dd>{info.runtime} · {info.architecture}</dd>
            <dt>Capabilities</dt><dd>{info.capabilities?.join(', ')}</dd>
            <dt>Formats</dt><dd>{info.supported_formats?.join(', ')}</dd>
          </dl>
          <h3>Plugins</h3>
          <ul class="plugins" data-testid="plugins">
            {info.plugins?.map((p: any) => (
              <li key={p.id}><span class={`pill pill-${String(p.status).toLowerCase()}`}>{p.status}</span> <strong>{p.id}</strong> <span class="muted">{p.version}</span></li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

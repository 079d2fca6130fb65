import { useEffect, useRef, useState } from 'preact/hooks';
import { useSession } from './context';
import { errorText } from './rpc';
import { allowed } from './state';
import { PlayIcon } from './icons';
import { formatBytes, formatCount, formatDuration, formatTime, pageInfo } from './format';

const PAGE_SIZE = 50;

interface FileItem { filename: string; device: string; file_size: number; modified_time: string; duration?: number; download_url: string; in_progress?: boolean }

function link(kind: string, page: number, device: string) {
  const q = new URLSearchParams();
  if (page > 1) q.set('page', String(page));
  if (device) q.set('device', device);
  const qs = q.toString();
  return `#/files/${kind}${qs ? `?${qs}` : ''}`;
}

/** Recordings and snapshots, one page at a time (the service pages with limit/offset; nothing else is loaded). */
export function FilesPage({ kind, query }: { kind: 'recordings' | 'snapshots'; query: URLSearchParams }) {
  const s = useSession();
  const device = query.get('device') ?? '';
  const requested = Number(query.get('page') ?? '1');
  const [data, setData] = useState<{ files: FileItem[]; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [preview, setPreview] = useState<FileItem | null>(null);
  const [confirm, setConfirm] = useState<string[] | null>(null);
  const [reload, setReload] = useState(0);
  const [pageText, setPageText] = useState('');
  const canDelete = allowed(s.role, 'operator');
  const info = pageInfo(data?.total ?? 0, PAGE_SIZE, requested);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    const offset = (Math.max(1, Math.floor(requested) || 1) - 1) * PAGE_SIZE;
    s.call(kind === 'recordings' ? 'list_recordings' : 'list_snapshots', { limit: PAGE_SIZE, offset, ...(device ? { device } : {}) })
      .then((r) => { if (!cancelled) { setData({ files: r.files, total: r.total }); setError(null); } })
      .catch((e) => { if (!cancelled) setError(errorText(e)); });
    return () => { cancelled = true; };
  }, [kind, device, requested, reload, s.generation]);

  useEffect(() => { setSelected(new Set()); setPreview(null); setPageText(''); }, [kind, device, requested]);

  // New files arrive as notifications: refresh the page shown (debounced), never poll.
  useEffect(() => s.onNotification((method, params) => {
    const relevant = kind === 'snapshots' ? method === 'snapshot_taken' : method === 'recording_status_update';
    if (!relevant || (device && params.device !== device)) return;
    clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => setReload((r) => r + 1), 400);
  }), [kind, device]);
  // The store counts a recording as being written for a few seconds after its last write (Storage:InProgressWindow):
  // look again shortly while this page shows one, so the mark goes away by itself.
  useEffect(() => {
    if (!data?.files.some((f) => f.in_progress)) return;
    const t = setTimeout(() => setReload((r) => r + 1), 3000);
    return () => clearTimeout(t);
  }, [data]);
  useEffect(() => {
    // A recording that starts or stops changes in_progress marks on this page.
    if (kind === 'recordings') setReload((r) => r + 1);
  }, [Object.keys(s.recordings).join(',')]);

  const remove = async (names: string[]) => {
    setConfirm(null);
    let ok = 0;
    for (const filename of names) {
      try {
        await s.call(kind === 'recordings' ? 'delete_recording' : 'delete_snapshot', { filename });
        ok++;
      } catch (e) {
        s.toast(`${filename}: ${errorText(e)}`);
      }
    }
    if (ok) s.toast(`Deleted ${ok} file${ok === 1 ? '' : 's'}.`, 'info');
    if (preview && names.includes(preview.filename)) setPreview(null);
    setSelected(new Set());
    setReload((r) => r + 1);
  };

  const files = data?.files ?? [];
  const allSelected = files.length > 0 && files.every((f) => selected.has(f.filename));
  const toggle = (name: string) => setSelected((sel) => {
    const next = new Set(sel);
    if (next.has(name)) next.delete(name); else next.add(name);
    return next;
  });

  return (
    <section class="files">
      <div class="page-head">
        <h1>Files</h1>
        <div class="tabs" role="tablist">
          <a role="tab" href={link('recordings', 1, device)} aria-selected={kind === 'recordings'} data-testid="files-tab-recordings">Recordings</a>
          <a role="tab" href={link('snapshots', 1, device)} aria-selected={kind === 'snapshots'} data-testid="files-tab-snapshots">Snapshots</a>
        </div>
      </div>
      <div class="toolbar">
        <label>Camera{' '}
          <select value={device} data-testid="files-device-filter" onChange={(e) => { location.hash = link(kind, 1, (e.target as HTMLSelectElement).value); }}>
            <option value="">All cameras</option>
            {s.cameras.map((c) => <option key={c.device} value={c.device}>{c.name && c.name !== c.device ? `${c.device} — ${c.name}` : c.device}</option>)}
          </select>
        </label>
        <span class="muted" data-testid="files-count">{data ? (data.total === 0 ? 'No files' : `${formatCount(info.from)}–${formatCount(info.to)} of ${formatCount(data.total)}`) : 'Loading…'}</span>
        {canDelete && selected.size > 0 && (
          <button type="button" class="danger" data-testid="delete-selected-button" onClick={() => setConfirm([...selected])}>Delete selected ({selected.size})</button>
        )}
      </div>
      {error && <p class="alert" role="alert">{error}</p>}
      {preview && (
        <div class="card preview" data-testid="file-preview">
          <div class="row spread"><strong class="mono">{preview.filename}</strong><button type="button" class="ghost" onClick={() => setPreview(null)}>Close</button></div>
          {kind === 'recordings'
            ? <video controls autoplay muted playsInline src={preview.download_url} data-testid="recording-player" aria-label={`Recording ${preview.filename}`} />
            : <img src={preview.download_url} alt={`Snapshot ${preview.filename}`} />}
        </div>
      )}
      <div class="table-wrap">
        <table class="file-table">
          <thead>
            <tr>
              {canDelete && <th class="check"><input type="checkbox" aria-label="Select all on this page" checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(files.filter((f) => !f.in_progress).map((f) => f.filename)))} /></th>}
              {kind === 'snapshots' && <th>Preview</th>}
              <th>Name</th><th>Camera</th><th class="num">Size</th>{kind === 'recordings' && <th class="num">Length</th>}<th>Time</th><th class="actions-col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.filename} data-testid="file-row" data-filename={f.filename} class={f.in_progress ? 'in-progress' : undefined}>
                {canDelete && <td class="check"><input type="checkbox" aria-label={`Select ${f.filename}`} checked={selected.has(f.filename)} disabled={f.in_progress} onChange={() => toggle(f.filename)} /></td>}
                {kind === 'snapshots' && <td><button type="button" class="thumb" onClick={() => setPreview(f)} aria-label={`Show ${f.filename}`}><img loading="lazy" src={f.download_url} alt="" data-testid="snapshot-thumbnail" /></button></td>}
                <td class="mono name">{f.filename}{f.in_progress && <span class="rec small" title="Still being written"><span class="dot" aria-hidden="true" /> recording</span>}</td>
                <td>{f.device}</td>
                <td class="num">{formatBytes(f.file_size)}</td>
                {kind === 'recordings' && <td class="num">{f.duration != null ? formatDuration(f.duration) : '—'}</td>}
                <td>{formatTime(f.modified_time)}</td>
                <td class="actions-col">
                  <button type="button" class="ghost" data-testid="play-button" onClick={() => setPreview(f)} disabled={f.in_progress}>{kind === 'recordings' ? <><PlayIcon /> Play</> : 'View'}</button>
                  <a class="button ghost" href={f.download_url} download={f.filename}>Download</a>
                  {canDelete && <button type="button" class="ghost danger-text" data-testid="delete-button" disabled={f.in_progress} onClick={() => setConfirm([f.filename])}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && data.total === 0 && <p class="empty muted">{kind === 'recordings' ? 'No recordings yet. Start one from a camera page.' : 'No snapshots yet. Take one from a camera page.'}</p>}
      </div>
      {data && info.pages > 1 && (
        <nav class="pager" aria-label="Pages">
          <a class="button ghost" href={link(kind, 1, device)} aria-disabled={info.page === 1}>« First</a>
          <a class="button ghost" href={link(kind, Math.max(1, info.page - 1), device)} aria-disabled={info.page === 1} rel="prev">‹ Previous</a>
          <form class="page-jump" onSubmit={(e) => { e.preventDefault(); const n = Number(pageText); if (n >= 1) location.hash = link(kind, Math.min(n, info.pages), device); }}>
            Page <input type="number" min={1} max={info.pages} value={pageText || String(info.page)} aria-label="Page number" data-testid="page-input" onInput={(e) => setPageText((e.target as HTMLInputElement).value)} /> of {formatCount(info.pages)}
          </form>
          <a class="button ghost" href={link(kind, Math.min(info.pages, info.page + 1), device)} aria-disabled={info.page === info.pages} rel="next" data-testid="next-page">Next ›</a>
          <a class="button ghost" href={link(kind, info.pages, device)} aria-disabled={info.page === info.pages}>Last »</a>
        </nav>
      )}
      {confirm && <ConfirmDelete names={confirm} onCancel={() => setConfirm(null)} onConfirm={() => remove(confirm)} />}
    </section>
  );
}

function ConfirmDelete({ names, onCancel, onConfirm }: { names: string[]; onCancel: () => void; onConfirm: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    d.showModal();
    const onClose = () => onCancel();
    d.addEventListener('cancel', onClose);
    return () => d.removeEventListener('cancel', onClose);
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="del-title" data-testid="confirm-dialog">
      <h2 id="del-title">Delete {names.length === 1 ? 'this file' : `${names.length} files`}?</h2>
      <p class="muted">This cannot be undone.</p>
      <ul class="mono small names">{names.slice(0, 5).map((n) => <li key={n}>{n}</li>)}{names.length > 5 && <li>… and {names.length - 5} more</li>}</ul>
      <div class="dialog-actions">
        <button type="button" class="ghost" onClick={onCancel}>Cancel</button>
        <button type="button" class="danger" data-testid="confirm-delete" onClick={onConfirm}>Delete</button>
      </div>
    </dialog>
  );
}

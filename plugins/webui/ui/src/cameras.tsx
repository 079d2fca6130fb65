import { useEffect, useRef, useState } from 'preact/hooks';
import { useSession } from './context';
import { errorText } from './rpc';
import { allowed, elapsedSeconds, type Camera } from './state';
import { formatBytes, formatDuration, parseDuration } from './format';
import { LivePlayer } from './player';
import { ControlsCard } from './controls';
import { ScheduleCard } from './schedule';
import { CameraIcon, RecordIcon, StopIcon, TimerIcon, UnpluggedIcon } from './icons';

/**
 * The live stream URLs of a camera from get_stream_url. An operator's console starts the stream when it is not ready
 * (the ffmpeg backend streams only after start_streaming); a viewer's console plays what is there and says so when
 * nothing is. A player failure fetches a fresh URL a little later.
 */
function useStream(camera: Camera | undefined) {
  const s = useSession();
  const [stream, setStream] = useState<{ hls: string | null; webrtc: string | null; problem: string | null }>({ hls: null, webrtc: null, problem: null });
  const [attempt, setAttempt] = useState(0);
  const connected = camera?.status === 'CONNECTED';
  const operator = allowed(s.role, 'operator');
  useEffect(() => {
    if (!camera || !connected || s.connection !== 'ready') {
      setStream({ hls: null, webrtc: null, problem: null });
      return;
    }
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    (async () => {
      try {
        let r = await s.call('get_stream_url', { device: camera.device });
        if (r.stream_status !== 'READY' && operator) {
          await s.call('start_streaming', { device: camera.device });
          r = await s.call('get_stream_url', { device: camera.device });
        }
        if (cancelled) return;
        // stream_url is the backend's primary URL: RTSP with MediaMTX, which a browser cannot play.
        const hls = r.streams?.hls ?? (/^https?:/.test(r.stream_url ?? '') ? r.stream_url : null);
        const webrtc = r.streams?.webrtc ?? null;
        setStream((old) => ({ hls, webrtc, problem: hls || webrtc ? old.problem : 'This camera has no live stream URL.' }));
      } catch (e) {
        if (cancelled) return;
        setStream({ hls: null, webrtc: null, problem: errorText(e) });
        retry = setTimeout(() => setAttempt((a) => a + 1), 5000);
      }
    })();
    return () => { cancelled = true; clearTimeout(retry); };
  }, [camera?.device, connected, s.connection, s.generation, attempt]);
  const retryLater = () => {
    setStream((old) => ({ ...old, problem: operator ? 'Live view interrupted; reconnecting…' : 'No live picture; retrying… (the stream may not be started — an operator can start it)' }));
    setTimeout(() => setAttempt((a) => a + 1), 3000);
  };
  const playing = () => setStream((old) => (old.problem ? { ...old, problem: null } : old));
  // `attempt` keys the player: a retry restarts it even when get_stream_url returns the same URLs (MediaMTX's are stable).
  return { ...stream, attempt, retryLater, playing };
}

function StatusPill({ status }: { status: string }) {
  return <span class={`pill pill-${status.toLowerCase()}`} data-testid="camera-status">{status === 'CONNECTED' ? 'Online' : status === 'DISCONNECTED' ? 'Disconnected' : status === 'ERROR' ? 'Error' : status}</span>;
}

function RecBadge({ device }: { device: string }) {
  const s = useSession();
  const rec = s.recordings[device];
  if (!rec) return null;
  return (
    <span class="rec" data-testid="recording-badge" title="Recording">
      <span class="dot" aria-hidden="true" /> REC {formatDuration(elapsedSeconds(rec, s.now))}
      {rec.durationLimit ? ` / ${formatDuration(rec.durationLimit)}` : ''}
    </span>
  );
}

export function CameraGrid() {
  const s = useSession();
  if (s.cameras.length === 0) {
    return <section class="empty"><h1>Cameras</h1><p class="muted">No camera has been found yet. Plug one in — it appears here by itself.</p></section>;
  }
  const online = s.cameras.filter((c) => c.status === 'CONNECTED').length;
  return (
    <section>
      <div class="page-head">
        <h1>Cameras</h1>
        <p class="muted">{online} of {s.cameras.length} online · updated live</p>
      </div>
      <div class="grid">
        {s.cameras.map((c) => <CameraTile key={c.device} camera={c} />)}
      </div>
    </section>
  );
}

function CameraTile({ camera }: { camera: Camera }) {
  const s = useSession();
  const stream = useStream(camera);
  const connected = camera.status === 'CONNECTED';
  return (
    <a class={`tile tile-${camera.status.toLowerCase()}`} href={`#/camera/${camera.device}`} data-testid="camera-tile" data-device={camera.device} data-status={camera.status}
      aria-label={`${camera.name || camera.device}, ${camera.status.toLowerCase()} — open`}>
      <div class="video-box">
        <LivePlayer key={stream.attempt} hls={connected ? stream.hls : null} webrtc={connected ? stream.webrtc : null} onFailure={stream.retryLater} onPlaying={stream.playing} label={`Live view of ${camera.device}`} />
        {!connected && <div class="overlay"><UnpluggedIcon />{camera.status === 'ERROR' ? 'Camera error' : 'Disconnected'}</div>}
        {connected && stream.problem && <div class="overlay small">{stream.problem}</div>}
        {connected && s.connection !== 'ready' && <div class="overlay small">Waiting for the service…</div>}
        <div class="corner"><RecBadge device={camera.device} /></div>
      </div>
      <div class="tile-meta">
        <div>
          <strong>{camera.name || camera.device}</strong>
          <span class="muted mono"> {camera.device}</span>
        </div>
        <div class="row">
          <StatusPill status={camera.status} />
          {camera.resolution && <span class="muted">{camera.resolution}</span>}
          {camera.fps ? <span class="muted">{camera.fps} fps</span> : null}
        </div>
      </div>
    </a>
  );
}

export function CameraPage({ device }: { device: string }) {
  const s = useSession();
  const camera = s.cameras.find((c) => c.device === device);
  const stream = useStream(camera);
  const [snapshot, setSnapshot] = useState<{ url: string; filename: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [caps, setCaps] = useState<any>(null);
  const [status, setStatus] = useState<any>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const canOperate = allowed(s.role, 'operator');
  const recording = s.recordings[device];
  const connected = camera?.status === 'CONNECTED';

  useEffect(() => {
    if (!camera || s.connection !== 'ready') return;
    s.call('get_camera_capabilities', { device }).then(setCaps, (e) => setCaps({ error: errorText(e) }));
    s.call('get_camera_status', { device }).then(setStatus, () => setStatus(null));
  }, [device, camera?.status, s.generation]);

  if (!camera) {
    return <section><a href="#/cameras" class="back">← Cameras</a><h1>{device}</h1><p class="alert">This camera is not known to the service.</p></section>;
  }

  const run = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    try { await fn(); } catch (e) { s.toast(errorText(e)); } finally { setBusy(null); }
  };
  const takeSnapshot = () => run('snapshot', async () => {
    const r = await s.call('take_snapshot', { device });
    setSnapshot({ url: r.download_url, filename: r.filename });
    s.toast(`Snapshot ${r.filename} saved (${formatBytes(r.file_size)}).`, 'info');
  });
  const startRecording = (duration?: number) => run('record', async () => {
    const r = await s.call('start_recording', duration ? { device, duration } : { device });
    s.toast(duration ? `Recording for ${formatDuration(duration)}.` : `Recording ${r.filename ?? ''} until you stop it.`, 'info');
  });
  const stopRecording = () => run('stop', async () => {
    const r = await s.call('stop_recording', { device });
    s.toast(`Recording stopped: ${r.files?.length ?? 1} file(s), ${formatDuration(r.duration)}, ${formatBytes(r.file_size)}.`, 'info');
  });

  return (
    <section class="camera-page">
      <a href="#/cameras" class="back">← Cameras</a>
      <div class="page-head">
        <h1>{camera.name || device} <span class="muted mono small">{device}</span></h1>
        <div class="row"><StatusPill status={camera.status} /><RecBadge device={device} /></div>
      </div>
      <div class="camera-layout">
        <div>
          <div class="video-box large">
            <LivePlayer key={stream.attempt} hls={connected ? stream.hls : null} webrtc={connected ? stream.webrtc : null} onFailure={stream.retryLater} onPlaying={stream.playing} label={`Live view of ${device}`} />
            {!connected && <div class="overlay"><UnpluggedIcon />{camera.status === 'ERROR' ? 'Camera error' : 'Disconnected'}</div>}
            {connected && stream.problem && <div class="overlay small">{stream.problem}</div>}
          </div>
          {canOperate && (
            <div class="actions" role="toolbar" aria-label="Camera actions">
              <button type="button" class="primary" data-testid="snapshot-button" disabled={!connected || busy !== null} onClick={takeSnapshot}>
                <CameraIcon /> {busy === 'snapshot' ? 'Taking…' : 'Snapshot'}
              </button>
              {recording ? (
                <button type="button" class="danger" data-testid="record-stop-button" disabled={busy !== null} onClick={stopRecording}><StopIcon /> Stop recording</button>
              ) : (
                <>
                  <button type="button" class="record" data-testid="record-button" disabled={!connected || busy !== null} onClick={() => startRecording()}><RecordIcon /> Record</button>
                  <button type="button" data-testid="record-timed-button" disabled={!connected || busy !== null} onClick={() => dialog.current?.showModal()}><TimerIcon /> Timed recording…</button>
                </>
              )}
            </div>
          )}
          {!canOperate && <p class="muted small">Your role ({s.role}) can watch; snapshots and recordings need the operator role.</p>}
          {snapshot && (
            <figure class="card snapshot" data-testid="snapshot-result">
              <img src={snapshot.url} alt={`Snapshot ${snapshot.filename}`} data-testid="snapshot-image" />
              <figcaption><a href={snapshot.url} download={snapshot.filename}>{snapshot.filename}</a> · <a href="#/files/snapshots">all snapshots</a></figcaption>
            </figure>
          )}
        </div>
        <aside class="side">
          <div class="card">
            <h2>Details</h2>
            <dl class="kv">
              <dt>Resolution</dt><dd>{camera.resolution || '—'}</dd>
              <dt>Frame rate</dt><dd>{camera.fps ? `${camera.fps} fps` : '—'}</dd>
              {status?.metrics && <><dt>Viewers</dt><dd>{status.metrics.readers}</dd><dt>Sent</dt><dd>{formatBytes(status.metrics.bytes_sent)}</dd><dt>Uptime</dt><dd>{formatDuration(status.metrics.uptime)}</dd></>}
              {typeof camera.device_path === 'string' && <><dt>Device</dt><dd class="mono">{camera.device_path}</dd></>}
            </dl>
          </div>
          <div class="card">
            <h2>Capabilities</h2>
            {!caps ? <p class="muted">Loading…</p> : caps.error ? <p class="alert">{caps.error}</p> : (
              <dl class="kv">
                <dt>Formats</dt><dd>{caps.formats?.join(', ') || '—'}</dd>
                <dt>Resolutions</dt><dd>{caps.resolutions?.join(', ') || '—'}</dd>
                <dt>Frame rates</dt><dd>{caps.fps_options?.join(', ') || '—'}</dd>
                <dt>Validation</dt><dd>{caps.validation_status}</dd>
              </dl>
            )}
          </div>
          <ControlsCard device={device} connected={connected} />
          <ScheduleCard device={device} />
          <div class="card">
            <h2>Stream URLs</h2>
            {(['rtsp', 'hls', 'webrtc'] as const).map((k) => <CopyRow key={k} label={k.toUpperCase()} value={camera.streams?.[k] ?? null} />)}
          </div>
        </aside>
      </div>
      <RecordDialog dialogRef={dialog} onStart={(d) => { dialog.current?.close(); void startRecording(d); }} />
    </section>
  );
}

function CopyRow({ label, value }: { label: string; value: string | null }) {
  const s = useSession();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value!);
      s.toast(`${label} URL copied.`, 'info');
    } catch {
      s.toast('The browser refused the clipboard; select the URL and copy it.', 'error');
    }
  };
  return (
    <div class="copy-row">
      <span class="label">{label}</span>
      {value ? <><input readOnly value={value} aria-label={`${label} URL`} onFocus={(e) => (e.target as HTMLInputElement).select()} /><button type="button" class="ghost" onClick={copy}>Copy</button></>
        : <span class="muted small">not offered by this stream backend</span>}
    </div>
  );
}

const PRESETS = [10, 30, 60, 300, 900, 3600];

function RecordDialog({ dialogRef, onStart }: { dialogRef: preact.RefObject<HTMLDialogElement | null>; onStart: (seconds: number) => void }) {
  const [text, setText] = useState('');
  const seconds = parseDuration(text);
  const invalid = text.trim() !== '' && (seconds === null || seconds < 1 || seconds > 86400);
  return (
    <dialog ref={dialogRef} class="dialog" aria-labelledby="rec-title">
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); if (seconds && !invalid) onStart(seconds); }}>
        <h2 id="rec-title">Timed recording</h2>
        <p class="muted small">Stops by itself. Pick a length or type one (e.g. <code>45s</code>, <code>2m</code>, <code>1h30m</code>, <code>1:30</code>).</p>
        <div class="presets">
          {PRESETS.map((p) => <button type="button" key={p} onClick={() => onStart(p)}>{formatDuration(p)}</button>)}
        </div>
        <label for="rec-duration">Duration</label>
        <input id="rec-duration" data-testid="record-duration" value={text} placeholder="e.g. 45s" aria-invalid={invalid} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        {invalid && <p class="alert small">Type 1 second to 24 hours, e.g. 45s, 2m, 1h.</p>}
        <div class="dialog-actions">
          <button type="button" class="ghost" onClick={() => dialogRef.current?.close()}>Cancel</button>
          <button type="submit" class="record" data-testid="record-duration-start" disabled={!seconds || invalid}><RecordIcon /> Record {seconds && !invalid ? formatDuration(seconds) : ''}</button>
        </div>
      </form>
    </dialog>
  );
}

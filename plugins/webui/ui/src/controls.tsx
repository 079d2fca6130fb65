import { useEffect, useState } from 'preact/hooks';
import { useSession } from './context';
import { RpcError, errorText } from './rpc';
import { allowed, applyControlValues, controlRefusalText, lockReason, type CameraControl } from './state';

const UNSUPPORTED = -32030;
const INVALID_PARAMS = -32602;

function refusal(e: unknown): string {
  const data = e instanceof RpcError ? e.data as { param?: unknown; rule?: unknown } | undefined : undefined;
  return e instanceof RpcError && e.code === INVALID_PARAMS && typeof data?.param === 'string' && typeof data.rule === 'string'
    ? controlRefusalText(data.param, data.rule)
    : errorText(e);
}

/**
 * The camera's controls (brightness, exposure, focus, white balance, pan/tilt/zoom …) as a card of the camera page:
 * everyone sees the values; an operator changes one at a time (each change is one set_camera_controls, all or
 * nothing, persisted by the service) and can reset all to the driver's defaults. Changes made elsewhere (another
 * console, camctl, another program on the box) arrive as camera_controls_changed and show at once.
 */
export function ControlsCard({ device, connected }: { device: string; connected: boolean }) {
  const s = useSession();
  const [controls, setControls] = useState<CameraControl[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const canOperate = allowed(s.role, 'operator');

  useEffect(() => {
    if (!connected || s.connection !== 'ready') {
      setControls(null);
      setProblem(connected ? null : 'The camera is not connected.');
      return;
    }
    let cancelled = false;
    s.call<{ controls: CameraControl[] }>('get_camera_controls', { device }).then(
      (r) => { if (!cancelled) { setControls(r.controls); setProblem(null); } },
      (e) => {
        if (cancelled) return;
        setControls(null);
        setProblem(e instanceof RpcError && e.code === UNSUPPORTED ? 'This camera has no adjustable controls.' : errorText(e));
      });
    return () => { cancelled = true; };
  }, [device, connected, s.connection, s.generation, reload]);

  useEffect(() => s.onNotification((method, params) => {
    if (method === 'camera_controls_changed' && params?.device === device && params.controls) {
      setControls((old) => (old ? applyControlValues(old, params.controls) : old));
    }
  }), [device]);

  const set = async (name: string, value: number) => {
    setBusy(name);
    try {
      const r = await s.call<{ controls: CameraControl[] }>('set_camera_controls', { device, controls: { [name]: value } });
      setControls(r.controls);
    } catch (e) {
      s.toast(refusal(e));
      setReload((n) => n + 1); // show what the camera really has
    } finally {
      setBusy(null);
    }
  };
  const reset = async () => {
    setBusy('*');
    try {
      const r = await s.call<{ controls: CameraControl[] }>('reset_camera_controls', { device });
      setControls(r.controls);
      s.toast('Controls reset to the camera\'s defaults.', 'info');
    } catch (e) {
      s.toast(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="card" data-testid="controls-card">
      <h2>Controls</h2>
      {problem ? <p class="muted" data-testid="controls-problem">{problem}</p>
        : !controls ? <p class="muted">Loading…</p>
        : controls.length === 0 ? <p class="muted" data-testid="controls-problem">This camera has no adjustable controls.</p>
        : (
          <>
            <div class="controls">
              {controls.map((c) => <ControlRow key={c.name} control={c} disabled={!canOperate || busy !== null} onSet={set} />)}
            </div>
            {canOperate
              ? <button type="button" class="ghost" data-testid="controls-reset" disabled={busy !== null} onClick={reset}>Reset to defaults</button>
              : <p class="muted small">Your role ({s.role}) can see the controls; changing them needs the operator role.</p>}
          </>
        )}
    </div>
  );
}

function ControlRow({ control: c, disabled, onSet }: { control: CameraControl; disabled: boolean; onSet: (name: string, value: number) => void }) {
  const locked = lockReason(c);
  const off = disabled || locked !== null;
  const id = `control-${c.name}`;
  const title = c.label && c.label !== c.name ? c.label : undefined;
  let input;
  if (c.type === 'boolean') {
    input = <input id={id} type="checkbox" data-testid="control-input" data-name={c.name} checked={c.value === 1} disabled={off}
      onChange={(e) => onSet(c.name, (e.target as HTMLInputElement).checked ? 1 : 0)} />;
  } else if (c.type === 'menu') {
    input = (
      <select id={id} data-testid="control-input" data-name={c.name} value={String(c.value ?? c.default)} disabled={off}
        onChange={(e) => onSet(c.name, Number((e.target as HTMLSelectElement).value))}>
        {(c.menu ?? []).map((m) => <option key={m.value} value={String(m.value)}>{m.label}</option>)}
      </select>
    );
  } else if (c.type === 'button') {
    input = <button id={id} type="button" data-testid="control-input" data-name={c.name} disabled={off} onClick={() => onSet(c.name, 1)}>Run</button>;
  } else if (c.relative) {
    // A relative control moves by an amount and holds no value.
    const by = Math.max(1, c.step);
    input = (
      <span class="row" id={id}>
        <button type="button" data-testid="control-input" data-name={c.name} data-direction="-" aria-label={`${c.name} minus`} disabled={off} onClick={() => onSet(c.name, -by)}>−</button>
        <button type="button" data-testid="control-input" data-name={c.name} data-direction="+" aria-label={`${c.name} plus`} disabled={off} onClick={() => onSet(c.name, by)}>+</button>
      </span>
    );
  } else {
    input = <IntegerInput id={id} control={c} disabled={off} onSet={onSet} />;
  }
  return (
    <div class="control-row" data-testid="control-row" data-name={c.name} title={title}>
      <label for={id} class="mono small">{c.name}</label>
      {input}
      {locked && <span class="muted small">{locked}</span>}
    </div>
  );
}

/** A slider with the number next to it; the value is sent when the user lets go (or commits the number), not while dragging. */
function IntegerInput({ id, control: c, disabled, onSet }: { id: string; control: CameraControl; disabled: boolean; onSet: (name: string, value: number) => void }) {
  const [draft, setDraft] = useState<string>(String(c.value ?? c.default));
  // A fresh entry (a reload after a refusal, a set's answer, a notification) replaces what was typed.
  useEffect(() => setDraft(String(c.value ?? c.default)), [c]);
  const commit = (text: string) => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v === c.value) return;
    onSet(c.name, v);
  };
  return (
    <span class="row">
      <input id={id} type="range" min={c.min} max={c.max} step={Math.max(1, c.step)} value={draft} disabled={disabled} aria-label={c.name}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)} onChange={(e) => commit((e.target as HTMLInputElement).value)} />
      <input type="number" class="num" data-testid="control-input" data-name={c.name} min={c.min} max={c.max} step={Math.max(1, c.step)} value={draft} disabled={disabled}
        aria-label={`${c.name} value`}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onChange={(e) => commit((e.target as HTMLInputElement).value)} />
    </span>
  );
}

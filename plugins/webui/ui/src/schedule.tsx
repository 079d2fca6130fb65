import { useEffect, useState } from 'preact/hooks';
import { useSession } from './context';
import { errorText } from './rpc';
import { formatTime } from './format';
import { WEEK_DAYS, allowed, scheduleStateText, scheduleWindowProblem, type RecordingSchedule, type ScheduleWindow } from './state';

/**
 * The camera's recording schedule as a card of the camera page: weekly windows (days, start, end) in a time zone,
 * inside which the service records the camera (docs/recording.md#schedules). Everyone sees it and what it does now;
 * an operator edits the windows and saves them with one set_recording_schedule (the service checks them again and
 * names a bad field). Recordings the schedule starts and stops show on this page like any other, by notification.
 */
export function ScheduleCard({ device }: { device: string }) {
  const s = useSession();
  const [stored, setStored] = useState<RecordingSchedule | null>(null);
  const [draft, setDraft] = useState<{ enabled: boolean; zone: string; windows: ScheduleWindow[] } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canOperate = allowed(s.role, 'operator');

  const take = (r: RecordingSchedule) => {
    setStored(r);
    setDraft({ enabled: r.enabled || r.windows.length === 0, zone: r.time_zone, windows: r.windows.map((w) => ({ ...w, days: [...w.days] })) });
    setProblem(null);
  };

  useEffect(() => {
    if (s.connection !== 'ready') return;
    let cancelled = false;
    s.call<RecordingSchedule>('get_recording_schedule', { device }).then(
      (r) => { if (!cancelled) take(r); },
      (e) => { if (!cancelled) setProblem(errorText(e)); });
    return () => { cancelled = true; };
  }, [device, s.connection, s.generation]);

  // A recording the schedule starts or stops changes what it does now: ask again.
  useEffect(() => s.onNotification((method, params) => {
    if (method === 'recording_status_update' && params?.device === device && params.reason === 'schedule') {
      s.call<RecordingSchedule>('get_recording_schedule', { device }).then(setStored, () => { /* the next answer tells */ });
    }
  }), [device]);

  const edit = (change: (d: NonNullable<typeof draft>) => void) => setDraft((d) => {
    if (!d) return d;
    const next = { ...d, windows: d.windows.map((w) => ({ ...w, days: [...w.days] })) };
    change(next);
    return next;
  });

  const save = async () => {
    if (!draft) return;
    const bad = draft.windows.map(scheduleWindowProblem).findIndex((p) => p !== null);
    if (bad >= 0) {
      s.toast(`Window ${bad + 1}: ${scheduleWindowProblem(draft.windows[bad])}`);
      return;
    }
    setBusy(true);
    try {
      const r = await s.call<RecordingSchedule>('set_recording_schedule', {
        device, enabled: draft.enabled, windows: draft.windows, time_zone: draft.zone.trim() || undefined,
      });
      take(r);
      s.toast('Schedule saved.', 'info');
    } catch (e) {
      s.toast(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const readOnly = !canOperate || busy;
  return (
    <div class="card schedule" data-testid="schedule-card">
      <h2>Recording schedule</h2>
      {problem ? <p class="muted" data-testid="schedule-problem">{problem}</p>
        : !stored || !draft ? <p class="muted">Loading…</p>
        : (
          <>
            <p class="small" data-testid="schedule-state">{scheduleStateText(stored, formatTime)}</p>
            <label class="check-label small">
              <input type="checkbox" data-testid="schedule-enabled" checked={draft.enabled} disabled={readOnly}
                onChange={(e) => edit((d) => { d.enabled = (e.target as HTMLInputElement).checked; })} />
              Record inside these windows
            </label>
            <label class="small" for={`schedule-zone-${device}`}>Time zone (IANA, e.g. Europe/Berlin)</label>
            <input id={`schedule-zone-${device}`} data-testid="schedule-zone" value={draft.zone} disabled={readOnly}
              onInput={(e) => edit((d) => { d.zone = (e.target as HTMLInputElement).value; })} />
            {draft.windows.length === 0 && <p class="muted small">No windows.</p>}
            {draft.windows.map((w, i) => (
              <fieldset class="schedule-window" data-testid="schedule-window" key={i} disabled={readOnly}>
                <legend class="small">Window {i + 1}</legend>
                <div class="row wrap small days">
                  {WEEK_DAYS.map((day) => (
                    <label key={day}>
                      <input type="checkbox" data-day={day} checked={w.days.includes(day)}
                        onChange={(e) => edit((d) => {
                          const on = (e.target as HTMLInputElement).checked;
                          const days = d.windows[i].days.filter((x) => x !== day);
                          d.windows[i].days = on ? WEEK_DAYS.filter((x) => x === day || days.includes(x)) : days;
                        })} />
                      {day}
                    </label>
                  ))}
                </div>
                <div class="row">
                  <input class="num" aria-label={`window ${i + 1} start`} data-testid="schedule-start" value={w.start} placeholder="08:00"
                    onInput={(e) => edit((d) => { d.windows[i].start = (e.target as HTMLInputElement).value; })} />
                  <span>to</span>
                  <input class="num" aria-label={`window ${i + 1} end`} data-testid="schedule-end" value={w.end} placeholder="18:00"
                    onInput={(e) => edit((d) => { d.windows[i].end = (e.target as HTMLInputElement).value; })} />
                  {canOperate && <button type="button" class="ghost" data-testid="schedule-remove" onClick={() => edit((d) => { d.windows.splice(i, 1); })}>Remove</button>}
                </div>
              </fieldset>
            ))}
            {canOperate ? (
              <div class="row">
                <button type="button" class="ghost" data-testid="schedule-add" disabled={busy}
                  onClick={() => edit((d) => { d.windows.push({ days: [...WEEK_DAYS], start: '08:00', end: '18:00' }); })}>Add window</button>
                <button type="button" data-testid="schedule-save" disabled={busy} onClick={save}>Save schedule</button>
              </div>
            ) : <p class="muted small">Your role ({s.role}) can see the schedule; changing it needs the operator role.</p>}
          </>
        )}
    </div>
  );
}

// The console's model of the service, kept current by notifications (no polling). Pure functions, unit-tested.
import { compareDevices } from './format';

export type Role = 'viewer' | 'operator' | 'admin';

export interface Camera {
  device: string;
  status: string;
  name: string;
  resolution: string;
  fps: number;
  streams: { rtsp?: string | null; hls?: string | null; webrtc?: string | null } | null;
  [k: string]: unknown;
}

export interface Recording {
  sessionId: string | null;
  /** When it started, ms since the epoch (the service's start_time when known, else when we heard of it). */
  startedAt: number;
  filename: string | null;
  durationLimit: number | null;
}

const rank: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** Whether `role` may call a method needing `min` — the same order the API enforces. */
export function allowed(role: Role | null, min: Role): boolean {
  return role !== null && rank[role] >= rank[min];
}

export function sortCameras(cameras: Camera[]): Camera[] {
  return [...cameras].sort((a, b) => compareDevices(a.device, b.device));
}

/** Applies an external_stream_update: a network camera whose stream was removed leaves the list (it is no camera any more). */
export function applyExternalStreamUpdate(cameras: Camera[], update: { change?: string; device?: string | null }): Camera[] {
  return update.change === 'removed' && update.device ? cameras.filter((c) => c.device !== update.device) : cameras;
}

/** Applies a camera_status_update: replaces the camera with that id (keeping fields the update lacks) or adds it. */
export function applyCameraUpdate(cameras: Camera[], update: Partial<Camera> & { device: string }): Camera[] {
  const i = cameras.findIndex((c) => c.device === update.device);
  if (i < 0) return sortCameras([...cameras, { name: update.device, resolution: '', fps: 0, streams: null, status: 'UNKNOWN', ...update } as Camera]);
  const next = [...cameras];
  next[i] = { ...cameras[i], ...update };
  return next;
}

/** The recording map after a recording_status_update. */
export function applyRecordingUpdate(
  recordings: Record<string, Recording>,
  update: { device: string; status: string; session_id?: string | null; filename?: string | null; duration?: number | null; start_time?: string | null },
  now: number,
): Record<string, Recording> {
  const next = { ...recordings };
  if (update.status === 'STARTED' || update.status === 'RECORDING') {
    const previous = recordings[update.device];
    const sameSession = previous && previous.sessionId !== null && previous.sessionId === (update.session_id ?? null);
    next[update.device] = {
      sessionId: update.session_id ?? null,
      startedAt: update.start_time ? Date.parse(update.start_time) : sameSession ? previous.startedAt : now,
      filename: update.filename ?? previous?.filename ?? null,
      durationLimit: update.duration ?? previous?.durationLimit ?? null,
    };
  } else {
    delete next[update.device];
  }
  return next;
}

/** The recording entry for a get_recording_status result, or null when the camera does not record. */
export function recordingFromStatus(status: { status: string; session_id?: string | null; start_time?: string | null; elapsed_seconds?: number; duration_limit?: number | null }, now: number): Recording | null {
  if (status.status !== 'RECORDING') return null;
  const started = status.start_time ? Date.parse(status.start_time) : NaN;
  return {
    sessionId: status.session_id ?? null,
    startedAt: Number.isFinite(started) ? started : now - (status.elapsed_seconds ?? 0) * 1000,
    filename: null,
    durationLimit: status.duration_limit ?? null,
  };
}

/** Seconds a recording has run at `now`. */
export function elapsedSeconds(recording: Recording, now: number): number {
  return Math.max(0, (now - recording.startedAt) / 1000);
}

/** Bounded time series for the live charts: appends and drops the oldest beyond `max` points. */
export interface Series {
  times: number[];
  values: Record<string, (number | null)[]>;
}

export function pushSample(series: Series, time: number, sample: Record<string, number | null | undefined>, max: number): Series {
  const times = [...series.times, time].slice(-max);
  const values: Record<string, (number | null)[]> = {};
  const keys = new Set([...Object.keys(series.values), ...Object.keys(sample)]);
  for (const k of keys) {
    const old = series.values[k] ?? new Array(series.times.length).fill(null);
    const v = sample[k];
    values[k] = [...old, v === undefined || v === null || !Number.isFinite(v) ? null : v].slice(-max);
  }
  return { times, values };
}

/** The metrics the System page charts, from a get_metrics result. */
export function metricSample(metrics: any): Record<string, number | null> {
  const api = metrics?.api_metrics ?? {};
  const sys = metrics?.system_metrics ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    rps: num(api.requests_per_second),
    p95: num(api.p95_ms),
    sessions: num(api.connections),
    cpu: num(sys.cpu_usage),
    memory: num(sys.memory_usage),
    disk: num(sys.disk_usage),
  };
}

/** The storage gauge's level for a usage percentage and the service's thresholds. */
export function storageLevel(usage: number, warn: number, block: number): 'ok' | 'warn' | 'block' {
  if (usage >= block) return 'block';
  if (usage >= warn) return 'warn';
  return 'ok';
}

/** One entry of get_camera_controls (api.md, "Camera controls"). */
export interface CameraControl {
  name: string;
  type: 'integer' | 'boolean' | 'menu' | 'button';
  min: number;
  max: number;
  step: number;
  default: number;
  value: number | null;
  menu?: { value: number; label: string }[];
  read_only: boolean;
  inactive: boolean;
  grabbed?: boolean;
  relative?: boolean;
  auto_mode?: boolean;
  label?: string | null;
  persisted?: boolean;
}

/** The values of a camera_controls_changed notification applied to a list (a control not listed stays as it is). */
export function applyControlValues(controls: CameraControl[], values: Record<string, number>): CameraControl[] {
  return controls.map((c) => (c.name in values ? { ...c, value: values[c.name] } : c));
}

/** Why a control cannot be changed now, or null when it can. */
export function lockReason(c: CameraControl): string | null {
  if (c.read_only) return 'read-only';
  if (c.inactive) return 'set automatically';
  if (c.grabbed) return 'held while streaming';
  return null;
}

/** A -32602 refusal of set_camera_controls ({param: "controls.<name>", rule}) in words. */
export function controlRefusalText(param: string, rule: string): string {
  const name = param.replace(/^controls\./, '');
  const [kind, detail] = [rule.split(':')[0], rule.slice(rule.indexOf(':') + 1)];
  const why = kind === 'out_of_range' && detail !== rule ? `must be between ${detail.replace('..', ' and ')}`
    : kind === 'out_of_range' ? 'is out of range'
    : kind === 'off_step' ? `must be a multiple of ${detail} from the minimum`
    : kind === 'not_in_menu' ? 'is not one of its choices'
    : kind === 'read_only' ? 'is read-only'
    : kind === 'inactive' ? 'is set automatically now (turn its automatic mode off first)'
    : kind === 'unknown_control' ? 'is not a control of this camera'
    : `was refused (${rule})`;
  return `${name} not changed: the value ${why}.`;
}

/** A weekly window of a recording schedule (api-contract.md §8.2). */
export interface ScheduleWindow { days: string[]; start: string; end: string }

/** A camera's recording schedule as get/set_recording_schedule answer it. */
export interface RecordingSchedule {
  device: string;
  enabled: boolean;
  windows: ScheduleWindow[];
  time_zone: string;
  active: boolean;
  held_off: boolean;
  window_end?: string | null;
  next_start?: string | null;
}

export const WEEK_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** One line saying what a schedule does now; `when` formats an ISO instant for the reader. */
export function scheduleStateText(s: RecordingSchedule, when: (iso: string) => string): string {
  if (!s.enabled) return s.windows.length ? 'Off: the windows are kept but do not record.' : 'No schedule.';
  if (s.held_off) return 'Held off: a recording was stopped by hand inside this window; the schedule records again from its next window.';
  if (s.active) return `Recording window open${s.window_end ? ` until ${when(s.window_end)}` : ''}.`;
  return s.next_start ? `Next window starts ${when(s.next_start)}.` : 'No window in the coming week.';
}

/** What is wrong with a window before it is sent (the service checks again), or null. */
export function scheduleWindowProblem(w: ScheduleWindow): string | null {
  if (w.days.length === 0) return 'Pick at least one day.';
  const time = /^([01]\d|2[0-3]):[0-5]\d$/;
  if (!time.test(w.start)) return 'The start is a time like 08:00.';
  if (!time.test(w.end) && w.end !== '24:00') return 'The end is a time like 18:00 (24:00 = end of the day).';
  if (w.start === w.end) return 'Start and end are equal; for a whole day use 00:00 to 24:00.';
  return null;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyExternalStreamUpdate, scheduleStateText, scheduleWindowProblem, allowed, applyCameraUpdate, applyControlValues, controlRefusalText, lockReason, type CameraControl, applyRecordingUpdate, elapsedSeconds, metricSample, pushSample, recordingFromStatus, storageLevel, type Camera } from '../src/state';
import { parseRoute } from '../src/route';

const cam = (device: string, status = 'CONNECTED'): Camera => ({ device, status, name: device, resolution: '640x480', fps: 15, streams: null });

test('camera updates replace by id, keep missing fields, and insert in numeric order', () => {
  let cams = [cam('camera0'), cam('camera2')];
  cams = applyCameraUpdate(cams, { device: 'camera0', status: 'DISCONNECTED' });
  assert.equal(cams[0].status, 'DISCONNECTED');
  assert.equal(cams[0].resolution, '640x480');
  cams = applyCameraUpdate(cams, { device: 'camera10', status: 'CONNECTED' });
  cams = applyCameraUpdate(cams, { device: 'camera1', status: 'CONNECTED' });
  assert.deepEqual(cams.map((c) => c.device), ['camera0', 'camera1', 'camera2', 'camera10']);
});

test('recording notifications start and clear the badge; elapsed time counts from the start', () => {
  let recs = applyRecordingUpdate({}, { device: 'camera0', status: 'STARTED', session_id: 's1', filename: 'a.mp4', duration: 3 }, 1000);
  assert.deepEqual(recs.camera0, { sessionId: 's1', startedAt: 1000, filename: 'a.mp4', durationLimit: 3 });
  assert.equal(elapsedSeconds(recs.camera0, 6000), 5);
  // A new segment of the same session keeps the start.
  recs = applyRecordingUpdate(recs, { device: 'camera0', status: 'STARTED', session_id: 's1', filename: 'b.mp4' }, 9000);
  assert.equal(recs.camera0.startedAt, 1000);
  recs = applyRecordingUpdate(recs, { device: 'camera0', status: 'STOPPED', session_id: 's1' }, 10000);
  assert.equal(recs.camera0, undefined);
  recs = applyRecordingUpdate({ camera1: recs.camera0 ?? { sessionId: 'x', startedAt: 0, filename: null, durationLimit: null } }, { device: 'camera1', status: 'ERROR' }, 1);
  assert.deepEqual(recs, {});
});

test('get_recording_status becomes a badge with the service start time', () => {
  assert.equal(recordingFromStatus({ status: 'STOPPED' }, 0), null);
  const r = recordingFromStatus({ status: 'RECORDING', session_id: 's', start_time: '2026-01-01T00:00:00Z', elapsed_seconds: 5 }, 0)!;
  assert.equal(r.startedAt, Date.parse('2026-01-01T00:00:00Z'));
  const noStart = recordingFromStatus({ status: 'RECORDING', elapsed_seconds: 5 }, 100000)!;
  assert.equal(noStart.startedAt, 95000);
});

test('roles gate like the API: viewer < operator < admin', () => {
  assert.equal(allowed('viewer', 'operator'), false);
  assert.equal(allowed('operator', 'operator'), true);
  assert.equal(allowed('admin', 'operator'), true);
  assert.equal(allowed('operator', 'admin'), false);
  assert.equal(allowed(null, 'viewer'), false);
});

test('chart series keep the last N samples and align missing values', () => {
  let s = { times: [] as number[], values: {} as Record<string, (number | null)[]> };
  for (let i = 0; i < 5; i++) s = pushSample(s, i, { cpu: i, rps: i === 2 ? undefined : i * 10 }, 3);
  assert.deepEqual(s.times, [2, 3, 4]);
  assert.deepEqual(s.values.cpu, [2, 3, 4]);
  assert.deepEqual(s.values.rps, [null, 30, 40]);
});

test('metric samples come from get_metrics sections', () => {
  const m = metricSample({ api_metrics: { requests_per_second: 1.5, p95_ms: 2, connections: 3 }, system_metrics: { cpu_usage: 4, memory_usage: 5, disk_usage: 6 } });
  assert.deepEqual(m, { rps: 1.5, p95: 2, sessions: 3, cpu: 4, memory: 5, disk: 6 });
  assert.deepEqual(metricSample({}), { rps: null, p95: null, sessions: null, cpu: null, memory: null, disk: null });
});

test('storage level against warn/block thresholds', () => {
  assert.equal(storageLevel(50, 80, 90), 'ok');
  assert.equal(storageLevel(80, 80, 90), 'warn');
  assert.equal(storageLevel(95, 80, 90), 'block');
});

test('hash routes', () => {
  assert.deepEqual({ ...parseRoute('#/camera/camera3'), query: undefined }, { page: 'camera', arg: 'camera3', query: undefined });
  const files = parseRoute('#/files/snapshots?page=7&device=camera1');
  assert.equal(files.arg, 'snapshots');
  assert.equal(files.query.get('page'), '7');
  assert.equal(parseRoute('').page, 'cameras');
  assert.equal(parseRoute('#/nonsense').page, 'cameras');
});

const control = (name: string, extra: Partial<CameraControl> = {}): CameraControl =>
  ({ name, type: 'integer', min: 0, max: 255, step: 1, default: 128, value: 128, read_only: false, inactive: false, ...extra });

test('camera_controls_changed values replace only the named controls', () => {
  const list = [control('brightness'), control('contrast'), control('pan_speed', { relative: true, value: null })];
  const next = applyControlValues(list, { brightness: 200, unknown_control: 1 });
  assert.deepEqual(next.map((c) => c.value), [200, 128, null]);
  assert.equal(list[0].value, 128); // the old list is not changed
});

test('a control is locked when read-only, inactive or grabbed, and says why', () => {
  assert.equal(lockReason(control('brightness')), null);
  assert.equal(lockReason(control('privacy', { read_only: true })), 'read-only');
  assert.equal(lockReason(control('exposure_time_absolute', { inactive: true })), 'set automatically');
  assert.equal(lockReason(control('contrast', { grabbed: true })), 'held while streaming');
});

test('a refused control value is explained in words', () => {
  assert.equal(controlRefusalText('controls.brightness', 'out_of_range:-100..100'), 'brightness not changed: the value must be between -100 and 100.');
  assert.equal(controlRefusalText('controls.pan_absolute', 'off_step:3600'), 'pan_absolute not changed: the value must be a multiple of 3600 from the minimum.');
  assert.match(controlRefusalText('controls.exposure_time_absolute', 'inactive'), /automatic mode off first/);
  assert.match(controlRefusalText('controls.x', 'rejected_by_device'), /refused \(rejected_by_device\)/);
});

test('a schedule says what it does now, and a window is checked before it is sent', () => {
  const base = { device: 'camera0', enabled: true, windows: [{ days: ['mon'], start: '08:00', end: '18:00' }], time_zone: 'UTC', active: false, held_off: false };
  const when = (iso: string) => `<${iso}>`;
  assert.equal(scheduleStateText({ ...base, active: true, window_end: 'E' }, when), 'Recording window open until <E>.');
  assert.equal(scheduleStateText({ ...base, next_start: 'N' }, when), 'Next window starts <N>.');
  assert.match(scheduleStateText({ ...base, active: true, held_off: true }, when), /^Held off/);
  assert.match(scheduleStateText({ ...base, enabled: false }, when), /^Off/);
  assert.equal(scheduleStateText({ ...base, enabled: false, windows: [] }, when), 'No schedule.');
  assert.equal(scheduleWindowProblem({ days: ['mon'], start: '22:00', end: '06:00' }), null);
  assert.equal(scheduleWindowProblem({ days: ['sun'], start: '00:00', end: '24:00' }), null);
  assert.match(scheduleWindowProblem({ days: [], start: '08:00', end: '09:00' })!, /day/);
  assert.match(scheduleWindowProblem({ days: ['mon'], start: '8:00', end: '09:00' })!, /start/);
  assert.match(scheduleWindowProblem({ days: ['mon'], start: '08:00', end: '25:00' })!, /end/);
  assert.match(scheduleWindowProblem({ days: ['mon'], start: '08:00', end: '08:00' })!, /equal/);
});

test('a removed network stream takes its camera off the list; other changes leave the list alone', () => {
  const cams = [cam('camera0'), cam('camera3', 'DISCONNECTED')];
  assert.deepEqual(applyExternalStreamUpdate(cams, { change: 'removed', device: 'camera3' }).map((c) => c.device), ['camera0']);
  assert.equal(applyExternalStreamUpdate(cams, { change: 'disconnected', device: 'camera3' }), cams);
  assert.equal(applyExternalStreamUpdate(cams, { change: 'removed', device: null }), cams);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareDevices, formatBytes, formatDuration, pageInfo, parseDuration } from '../src/format';

test('bytes', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1500), '1.50 KB');
  assert.equal(formatBytes(25_400_000), '25.4 MB');
  assert.equal(formatBytes(512_000_000_000), '512 GB');
  assert.equal(formatBytes(undefined), '—');
});

test('durations', () => {
  assert.equal(formatDuration(5), '0:05');
  assert.equal(formatDuration(65.9), '1:05');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(-1), '—');
});

test('typed durations', () => {
  assert.equal(parseDuration('3'), 3);
  assert.equal(parseDuration('45s'), 45);
  assert.equal(parseDuration('2m'), 120);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('1h 30m 5s'), 5405);
  assert.equal(parseDuration('1:30'), 90);
  assert.equal(parseDuration('1:00:00'), 3600);
  assert.equal(parseDuration('1:75'), null);
  assert.equal(parseDuration('abc'), null);
  assert.equal(parseDuration('5x'), null);
  assert.equal(parseDuration(''), null);
});

test('paging over 100,000 files', () => {
  assert.deepEqual(pageInfo(100_000, 50, 1), { pages: 2000, page: 1, offset: 0, from: 1, to: 50 });
  assert.deepEqual(pageInfo(100_000, 50, 2000), { pages: 2000, page: 2000, offset: 99_950, from: 99_951, to: 100_000 });
  assert.equal(pageInfo(100_000, 50, 99999).page, 2000);
  assert.equal(pageInfo(100_000, 50, NaN).page, 1);
  assert.deepEqual(pageInfo(0, 50, 3), { pages: 1, page: 1, offset: 0, from: 0, to: 0 });
});

test('devices sort numerically', () => {
  assert.deepEqual(['camera10', 'camera2', 'camera1'].sort(compareDevices), ['camera1', 'camera2', 'camera10']);
});

// Pure formatting and parsing helpers (unit-tested).

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Math.max(0, bytes);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`;
}

/** 5 → "0:05", 65 → "1:05", 3723 → "1:02:03". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** An ISO time as local date and time, e.g. "2026-12-05 18:04:12". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * A duration typed by a person: "90" or "90s", "5m", "1h", "1h30m", "2:30" (m:s), "1:00:00" (h:m:s).
 * Returns seconds, or null when it cannot be read.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === '') return null;
  if (/^\d+(:\d{1,2}){1,2}$/.test(t)) {
    const parts = t.split(':').map(Number);
    if (parts.slice(1).some((p) => p >= 60)) return null;
    return parts.reduce((acc, p) => acc * 60 + p, 0);
  }
  const re = /(\d+(?:\.\d+)?)\s*(h|m|s)?/g;
  let total = 0;
  let consumed = '';
  for (const m of t.matchAll(re)) {
    const unit = m[2] ?? 's';
    total += Number(m[1]) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
    consumed += m[0];
  }
  if (consumed.replace(/\s/g, '') !== t.replace(/\s/g, '')) return null;
  return Math.round(total);
}

/** Paging over `total` items, `size` per page: the page count (at least 1) and the 1-based range shown. */
export function pageInfo(total: number, size: number, page: number): { pages: number; page: number; from: number; to: number; offset: number } {
  const pages = Math.max(1, Math.ceil(total / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  const offset = (p - 1) * size;
  return { pages, page: p, offset, from: total === 0 ? 0 : offset + 1, to: Math.min(total, offset + size) };
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "camera10" sorts after "camera2". */
export function compareDevices(a: string, b: string): number {
  const na = Number(a.replace(/^\D+/, ''));
  const nb = Number(b.replace(/^\D+/, ''));
  return Number.isFinite(na) && Number.isFinite(nb) && na !== nb ? na - nb : a.localeCompare(b);
}

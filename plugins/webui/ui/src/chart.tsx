import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { Series } from './state';

/** 1234 → "1.2k", 0.123 → "0.12". */
function compact(v: number): string {
  return Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`;
}

/** A small live line chart (uPlot) of some series of `data`. */
export function Chart({ title, data, lines, unit, max }: { title: string; data: Series; lines: { key: string; label: string; color: string }[]; unit: string; max?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 140,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: max ? { range: [0, max] } : { range: (_u, _min, mx) => [0, Math.max(1, mx * 1.2)] } },
      axes: [
        { stroke: '#94a3b8', grid: { stroke: 'rgba(148,163,184,0.12)' }, ticks: { stroke: 'rgba(148,163,184,0.2)' } },
        { stroke: '#94a3b8', grid: { stroke: 'rgba(148,163,184,0.12)' }, ticks: { stroke: 'rgba(148,163,184,0.2)' }, size: 60, values: (_u, vals) => vals.map((v) => `${compact(v)}${unit}`) },
      ],
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 2, fill: `${l.color}22`, points: { show: false }, value: (_u: uPlot, v: number | null) => (v == null ? '—' : `${compact(v)}${unit}`) }))],
    };
    plot.current = new uPlot(opts, [[], ...lines.map(() => [])], el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 140 }));
    ro.observe(el);
    return () => { ro.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, []);
  useEffect(() => {
    plot.current?.setData([data.times, ...lines.map((l) => data.values[l.key] ?? data.times.map(() => null))] as uPlot.AlignedData);
  }, [data]);
  return (
    <figure class="card chart" data-testid="metric-chart">
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}

// Inline SVG icons (no icon font, no emoji: they render the same on every machine, also without emoji fonts).
const base = { width: 18, height: 18, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true' } as const;

export const CameraIcon = () => (
  <svg {...base}><path d="M4 8h3l2-3h6l2 3h3a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1z" /><circle cx="12" cy="13" r="3.5" /></svg>
);
export const RecordIcon = () => (
  <svg {...base}><circle cx="12" cy="12" r="6" fill="currentColor" stroke="none" /></svg>
);
export const StopIcon = () => (
  <svg {...base}><rect x="6" y="6" width="12" height="12" rx="1.5" fill="currentColor" stroke="none" /></svg>
);
export const TimerIcon = () => (
  <svg {...base}><circle cx="12" cy="13" r="8" /><path d="M12 9v4l2.5 2.5M9 2h6" /></svg>
);
export const UnpluggedIcon = () => (
  <svg {...base} width={40} height={40}><path d="M9 2v5M15 2v5M7 7h10v4a5 5 0 0 1-10 0zM12 16v6" /><path d="M3 3l18 18" /></svg>
);
export const PlayIcon = () => (
  <svg {...base} width={14} height={14}><path d="M7 4l13 8-13 8z" fill="currentColor" /></svg>
);

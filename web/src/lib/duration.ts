// Call timer and history durations as people read them: "0:07", "12:34", "1:02:03".

export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '0:00';
  const whole = Math.floor(totalSeconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  const ss = String(seconds).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  return `${minutes}:${ss}`;
}

/** Seconds elapsed between two instants in milliseconds, never negative. */
export function elapsedSeconds(startMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - startMs) / 1000));
}

/**
 * Milliseconds until the shown whole-second count next changes, so a timer ticks on the call's
 * own second boundaries rather than on those of the moment it was drawn (which lag up to 1 s).
 */
export function msUntilNextSecond(startMs: number, nowMs: number): number {
  const elapsed = nowMs - startMs;
  if (!Number.isFinite(elapsed)) return 1000;
  if (elapsed < 0) return Math.min(1000, -elapsed);
  return 1000 - (elapsed % 1000);
}

import { describe, expect, it } from 'vitest';
import { elapsedSeconds, formatDuration, msUntilNextSecond } from '../../src/lib/duration';

describe('formatDuration', () => {
  it('shows minutes and two-digit seconds', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(59.9)).toBe('0:59');
    expect(formatDuration(60)).toBe('1:00');
    expect(formatDuration(754)).toBe('12:34');
  });
  it('adds hours past an hour', () => {
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(36000 + 59)).toBe('10:00:59');
  });
  it('never shows nonsense for bad input', () => {
    expect(formatDuration(-5)).toBe('0:00');
    expect(formatDuration(Number.NaN)).toBe('0:00');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('0:00');
  });
});

describe('elapsedSeconds', () => {
  it('counts whole seconds and never goes negative', () => {
    expect(elapsedSeconds(1000, 1999)).toBe(0);
    expect(elapsedSeconds(1000, 62_000)).toBe(61);
    expect(elapsedSeconds(5000, 1000)).toBe(0);
  });
});

describe('msUntilNextSecond', () => {
  it('waits for the next whole second of the call', () => {
    expect(msUntilNextSecond(1000, 1000)).toBe(1000);
    expect(msUntilNextSecond(1000, 1250)).toBe(750);
    expect(msUntilNextSecond(1000, 3999)).toBe(1);
    expect(msUntilNextSecond(1000, 4000)).toBe(1000);
  });
  it('waits for the start when the clock is behind it, at most a second', () => {
    expect(msUntilNextSecond(1000, 800)).toBe(200);
    expect(msUntilNextSecond(10_000, 0)).toBe(1000);
    expect(msUntilNextSecond(Number.NaN, 0)).toBe(1000);
  });
});

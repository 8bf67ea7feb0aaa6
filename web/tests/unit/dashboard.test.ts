import { describe, expect, it } from 'vitest';
import { eventsUrl, hourlyCalls, readCountsEvent, readLiveCall } from '../../src/lib/dashboard';

describe('readCountsEvent', () => {
  it('reads the tenants of a counts event', () => {
    const text = JSON.stringify({
      type: 'counts',
      tenants: [{ tenant: 'example.com', registrations: 3, calls: { ringing: 1, answered: 2 } }],
    });
    expect(readCountsEvent(text)).toEqual([{ tenant: 'example.com', registrations: 3, ringing: 1, answered: 2 }]);
  });

  it('refuses other and malformed messages, and skips malformed tenants', () => {
    expect(readCountsEvent('not json')).toBeNull();
    expect(readCountsEvent('{"type":"error","status":401}')).toBeNull();
    const text = JSON.stringify({
      type: 'counts',
      tenants: [{ tenant: 'a.org', registrations: -1, calls: { ringing: 0, answered: 0 } }, null],
    });
    expect(readCountsEvent(text)).toEqual([]);
  });
});

describe('readLiveCall', () => {
  it('reads a listed call and refuses one without a state', () => {
    expect(
      readLiveCall({ id: 'x', caller: '1001', callee: '1002', state: 'answered', started_ms: 5, answered_ms: 7 }),
    ).toEqual({ id: 'x', caller: '1001', callee: '1002', state: 'answered', startedMs: 5, answeredMs: 7 });
    expect(readLiveCall({ id: 'x', caller: '1001', callee: '1002', started_ms: 5 })).toBeNull();
  });
});

describe('hourlyCalls', () => {
  const hour = 3_600_000;
  const now = 100 * hour + 1234;

  it('counts calls per hour and the answer rate, oldest hour first', () => {
    const records = [
      { start: new Date(100 * hour + 5), disposition: 'answered' },
      { start: new Date(100 * hour + 6), disposition: 'busy' },
      { start: new Date(99 * hour), disposition: 'answered' },
      { start: new Date(50 * hour), disposition: 'answered' }, // outside the window
      { start: null, disposition: 'answered' },
    ];
    const hourly = hourlyCalls(records, now, 3);
    expect(hourly.hours).toEqual([98 * 3600, 99 * 3600, 100 * 3600]);
    expect(hourly.total).toEqual([0, 1, 2]);
    expect(hourly.answered).toEqual([0, 1, 1]);
    expect(hourly.answerRate).toEqual([null, 100, 50]);
  });
});

describe('eventsUrl', () => {
  it('uses wss on https pages', () => {
    expect(eventsUrl({ protocol: 'https:', host: 'pbx.example.com:8443' })).toBe('wss://pbx.example.com:8443/api/v1/events');
  });
});

import { describe, expect, it } from 'vitest';
import { normalizeCallRecord, normalizeCallRecords, normalizeDirectory } from '../../src/lib/call_records';

describe('normalizeCallRecord', () => {
  it('reads the documented fields', () => {
    const record = normalizeCallRecord({
      start_time: '2024-05-01T10:00:00Z',
      from: 'sip:1001@p.local',
      to: 'sip:1002@p.local',
      duration: 42,
      disposition: 'answered',
    });
    expect(record).toEqual({
      start: new Date('2024-05-01T10:00:00Z'),
      from: 'sip:1001@p.local',
      to: 'sip:1002@p.local',
      durationSeconds: 42,
      disposition: 'answered',
    });
  });
  it("reads Parley's API record (caller, callee, start_ms, duration_ms)", () => {
    const record = normalizeCallRecord({
      id: 7,
      call_id: 'x',
      caller: '1001@parley.local',
      callee: '1002@parley.local',
      start_ms: 1714557600000,
      answer_ms: null,
      end_ms: 1714557642500,
      duration_ms: 42500,
      disposition: 'answered',
    });
    expect(record).toEqual({
      start: new Date('2024-05-01T10:00:00Z'),
      from: '1001@parley.local',
      to: '1002@parley.local',
      durationSeconds: 42.5,
      disposition: 'answered',
    });
  });
  it('accepts other spellings and epoch times', () => {
    const record = normalizeCallRecord({ started_at: 1714557600, caller: 1001, callee: '1002', duration_ms: 1500, status: 'busy' });
    expect(record?.start?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(record?.from).toBe('1001');
    expect(record?.durationSeconds).toBe(1.5);
    expect(record?.disposition).toBe('busy');
  });
  it('turns junk into nulls, never a crash', () => {
    expect(normalizeCallRecord(null)).toBeNull();
    expect(normalizeCallRecord('x')).toBeNull();
    expect(normalizeCallRecord([1])).toBeNull();
    expect(normalizeCallRecord({ start_time: 'not a date', duration: -3, from: { x: 1 } })).toEqual({
      start: null,
      from: '',
      to: '',
      durationSeconds: null,
      disposition: 'unknown',
    });
  });
});

describe('normalizeCallRecords', () => {
  it('sorts newest first and accepts the API page', () => {
    const list = normalizeCallRecords({
      next_cursor: null,
      items: [{ start_time: '2024-01-01T00:00:00Z' }, { start_time: '2024-02-01T00:00:00Z' }, 7],
    });
    expect(list.map((r) => r.start?.getUTCMonth())).toEqual([1, 0]);
  });
  it('gives an empty list for other shapes', () => {
    expect(normalizeCallRecords(undefined)).toEqual([]);
    expect(normalizeCallRecords({ nothing: true })).toEqual([]);
  });
});

describe('normalizeDirectory', () => {
  it("reads Parley's API shape {tenant, items: [{number, display_name}]}", () => {
    expect(
      normalizeDirectory({
        tenant: 'parley.local',
        items: [
          { number: '1002', display_name: 'Bob' },
          { number: '1001', display_name: '' },
        ],
      }),
    ).toEqual([
      { extension: '1001', displayName: '' },
      { extension: '1002', displayName: 'Bob' },
    ]);
  });
  it('keeps entries with an extension, numerically sorted', () => {
    expect(
      normalizeDirectory([
        { extension: '1010', display_name: 'Ten' },
        { extension: '1002', display_name: null },
        { display_name: 'no extension' },
        'junk',
      ]),
    ).toEqual([
      { extension: '1002', displayName: '' },
      { extension: '1010', displayName: 'Ten' },
    ]);
    expect(normalizeDirectory({})).toEqual([]);
  });
});

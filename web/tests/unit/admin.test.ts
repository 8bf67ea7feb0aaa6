import { describe, expect, it } from 'vitest';
import {
  adminPageOf,
  callRecordQuery,
  csvExportUrl,
  dispositionLabel,
  filterErrors,
  formatDateTime,
  formatExpiresIn,
  localDayStartMs,
  NO_FILTERS,
  readExtension,
  readPage,
  readRegistration,
  newTenantBody,
  readTenant,
  splitApiError,
  tenantChangeBody,
  userPart,
} from '../../src/lib/admin';
import { ApiError } from '../../src/lib/api';
import { adminSignInError } from '../../src/lib/errors';

describe('readPage', () => {
  it('keeps usable items and the cursor', () => {
    const page = readPage(
      { items: [{ number: '1001', display_name: 'Alice' }, { display_name: 'no number' }, 7], next_cursor: '1001' },
      readExtension,
    );
    expect(page).toEqual({ items: [{ number: '1001', displayName: 'Alice' }], nextCursor: '1001' });
  });
  it('survives a body that is not a page', () => {
    expect(readPage(null, readExtension)).toEqual({ items: [], nextCursor: null });
    expect(readPage({ items: 'x', next_cursor: 5 }, readExtension)).toEqual({ items: [], nextCursor: null });
    expect(readPage({ items: [], next_cursor: '' }, readTenant).nextCursor).toBeNull();
  });
  it('reads tenants and registrations', () => {
    expect(readTenant({ domain: 'a.org', display_name: 'A', is_default: true })).toEqual({
      domain: 'a.org', displayName: 'A', isDefault: true,
    });
    expect(readRegistration({
      id: '0123456789abcdef0123456789abcdef', extension: '1003', contact: 'sip:1003@127.0.0.1:5070', transport: 'udp', source: '127.0.0.1:5070',
      user_agent: '', expires_at: 1, expires_in: 299.7,
    })).toEqual({
      id: '0123456789abcdef0123456789abcdef', extension: '1003', contact: 'sip:1003@127.0.0.1:5070',
      transport: 'udp', source: '127.0.0.1:5070', userAgent: '', expiresIn: 299,
    });
    expect(readRegistration({ extension: '1003', expires_in: 'soon' })?.expiresIn).toBe(0);
    expect(readRegistration({ extension: '1003' })?.id).toBe('');
  });
});

describe('localDayStartMs', () => {
  it('is local midnight, and the next one with addDays', () => {
    expect(localDayStartMs('2026-01-31')).toBe(new Date(2026, 0, 31).getTime());
    expect(localDayStartMs('2026-01-31', 1)).toBe(new Date(2026, 1, 1).getTime());
    expect(localDayStartMs('2026-12-31', 1)).toBe(new Date(2027, 0, 1).getTime());
  });
  it('refuses what is not a real day', () => {
    expect(localDayStartMs('')).toBeNull();
    expect(localDayStartMs('2026-02-30')).toBeNull();
    expect(localDayStartMs('31/01/2026')).toBeNull();
  });
});

describe('call-record queries', () => {
  it('sends nothing without filters, and the page options', () => {
    expect(callRecordQuery(NO_FILTERS)).toBe('');
    expect(callRecordQuery(NO_FILTERS, { limit: 25, cursor: 'abc+/=' })).toBe('limit=25&cursor=abc%2B%2F%3D');
  });
  it('makes the last day inclusive and keeps the other filters', () => {
    const query = new URLSearchParams(
      callRecordQuery({ from: '2026-01-30', to: '2026-01-31', extension: ' 1003 ', disposition: 'answered' }),
    );
    expect(query.get('from')).toBe(String(new Date(2026, 0, 30).getTime()));
    expect(query.get('to')).toBe(String(new Date(2026, 1, 1).getTime()));
    expect(query.get('extension')).toBe('1003');
    expect(query.get('disposition')).toBe('answered');
  });
  it('builds the CSV link without page options', () => {
    expect(callRecordQuery({ ...NO_FILTERS, extension: '1001' }, { csv: true, limit: 25, cursor: 'x' }))
      .toBe('extension=1001&format=csv');
    expect(csvExportUrl('parley.local', { ...NO_FILTERS, disposition: 'busy' }))
      .toBe('/api/v1/tenants/parley.local/call-records?disposition=busy&format=csv');
    expect(csvExportUrl('a/b', NO_FILTERS)).toBe('/api/v1/tenants/a%2Fb/call-records?format=csv');
  });
  it('refuses reversed dates and unknown results before asking', () => {
    expect(filterErrors(NO_FILTERS)).toEqual({});
    expect(filterErrors({ ...NO_FILTERS, from: '2026-02-02', to: '2026-02-01' })).toHaveProperty('to');
    expect(filterErrors({ ...NO_FILTERS, from: '2026-13-01' })).toHaveProperty('from');
    expect(filterErrors({ ...NO_FILTERS, disposition: 'lost' })).toHaveProperty('disposition');
    expect(filterErrors({ ...NO_FILTERS, from: '2026-02-01', to: '2026-02-01' })).toEqual({});
  });
});

describe('formatting', () => {
  it('formats instants as local YYYY-MM-DD HH:MM:SS', () => {
    expect(formatDateTime(new Date(2026, 0, 5, 8, 4, 9))).toBe('2026-01-05 08:04:09');
    expect(formatDateTime(null)).toBe('—');
    expect(formatDateTime(new Date(NaN))).toBe('—');
  });
  it('formats registration lifetimes', () => {
    expect(formatExpiresIn(45)).toBe('45 s');
    expect(formatExpiresIn(245)).toBe('4 min 05 s');
    expect(formatExpiresIn(3720)).toBe('1 h 02 min');
    expect(formatExpiresIn(-3)).toBe('0 s');
  });
  it('labels dispositions, unknown ones as given', () => {
    expect(dispositionLabel('no_answer')).toBe('No answer');
    expect(dispositionLabel('answered')).toBe('Answered');
    expect(dispositionLabel('transferred')).toBe('transferred');
    expect(dispositionLabel('')).toBe('Unknown');
  });
  it('shows the user part of SIP addresses', () => {
    expect(userPart('sip:1003@parley.local')).toBe('1003');
    expect(userPart('<sips:1001@x.org>')).toBe('1001');
    expect(userPart('1002')).toBe('1002');
  });
});

describe('admin pages and errors', () => {
  it('maps the URL fragment to a page, extensions by default', () => {
    expect(adminPageOf('#calls')).toBe('calls');
    expect(adminPageOf('#registrations')).toBe('registrations');
    expect(adminPageOf('#dashboard')).toBe('dashboard');
    expect(adminPageOf('')).toBe('extensions');
    expect(adminPageOf('#nonsense')).toBe('extensions');
  });
  it('shows the Tenants page to a system admin only', () => {
    expect(adminPageOf('#tenants')).toBe('tenants');
    expect(adminPageOf('#tenants', true)).toBe('tenants');
    expect(adminPageOf('#tenants', false)).toBe('extensions');
    expect(adminPageOf('#rooms', false)).toBe('rooms');
  });
  it('builds the tenant bodies: a new one as typed, a change with is_default only when it moves', () => {
    expect(newTenantBody(' Acme.example ', { displayName: '', isDefault: false })).toEqual({ domain: 'Acme.example' });
    expect(newTenantBody('acme.example', { displayName: ' Acme ', isDefault: true }))
      .toEqual({ domain: 'acme.example', display_name: 'Acme', is_default: true });
    const before = { domain: 'acme.example', displayName: 'Acme', isDefault: false };
    expect(tenantChangeBody(before, { displayName: ' Acme Ltd ', isDefault: false })).toEqual({ display_name: 'Acme Ltd' });
    expect(tenantChangeBody(before, { displayName: '', isDefault: true })).toEqual({ display_name: '', is_default: true });
    expect(tenantChangeBody({ ...before, isDefault: true }, { displayName: 'Acme', isDefault: false }))
      .toEqual({ display_name: 'Acme', is_default: false });
  });
  it('words a refused admin sign-in for a name, not an extension', () => {
    expect(adminSignInError(401, null)).toBe('Wrong name or password.');
    expect(adminSignInError(429, null)).toMatch(/Too many/);
  });
});

describe('splitApiError', () => {
  const fields = ['number', 'display_name', 'password'];
  it('puts a problem naming a form field beside that field', () => {
    expect(splitApiError(new ApiError("extension number must be 2 to 15 digits, got '12a'", 400, 'number'), fields))
      .toEqual({ fields: { number: "extension number must be 2 to 15 digits, got '12a'" }, form: null });
  });
  it('keeps the rest for the whole form', () => {
    expect(splitApiError(new ApiError('extension 1003 exists', 409, null), fields))
      .toEqual({ fields: {}, form: 'extension 1003 exists' });
    expect(splitApiError(new ApiError('cursor is not one this server gave out', 400, 'cursor'), fields).form)
      .toBe('cursor is not one this server gave out');
    expect(splitApiError('thrown text', fields)).toEqual({ fields: {}, form: 'Something went wrong.' });
  });
});

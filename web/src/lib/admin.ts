// Pure logic of the admin console: reading the API's lists defensively, building call-record
// queries (filters, cursor, CSV export) and formatting what the tables show. No DOM, no fetch:
// everything here is unit-tested in Node.

import { normalizeCallRecord, type CallRecord } from './call_records';

export interface Tenant {
  domain: string;
  displayName: string;
  isDefault: boolean;
}

export interface Extension {
  number: string;
  displayName: string;
}

export interface Registration {
  /** The API's name for the binding (DELETE .../registrations/{id}); "" when it sent none. */
  id: string;
  extension: string;
  contact: string;
  transport: string;
  source: string;
  userAgent: string;
  expiresIn: number;
}

/** One page of a list endpoint: `{"items": [...], "next_cursor": "..." | null}`. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DISPOSITIONS = ['answered', 'busy', 'no_answer', 'cancelled', 'failed'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export interface CallRecordFilters {
  /** `YYYY-MM-DD` from an `<input type="date">` (local day), or empty. */
  from: string;
  /** Last day included, `YYYY-MM-DD`, or empty. */
  to: string;
  extension: string;
  /** One of DISPOSITIONS, or empty for any. */
  disposition: string;
}

export const NO_FILTERS: CallRecordFilters = { from: '', to: '', extension: '', disposition: '' };

type Bag = Record<string, unknown>;

function bag(value: unknown): Bag | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Bag) : null;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** Reads `{"items", "next_cursor"}`, keeping the items `read` accepts (non-null). */
export function readPage<T>(body: unknown, read: (item: unknown) => T | null): Page<T> {
  const page = bag(body);
  const raw = page && Array.isArray(page.items) ? page.items : [];
  const items = raw.map(read).filter((item): item is T => item !== null);
  const cursor = page?.next_cursor;
  return { items, nextCursor: typeof cursor === 'string' && cursor !== '' ? cursor : null };
}

export function readTenant(raw: unknown): Tenant | null {
  const b = bag(raw);
  if (!b || text(b.domain) === '') return null;
  return { domain: text(b.domain), displayName: text(b.display_name), isDefault: b.is_default === true };
}

/** A tenant as the Tenants page's forms have it. */
export interface TenantInput {
  displayName: string;
  isDefault: boolean;
}

/** The POST body for a new tenant: the domain as typed (the server folds and checks it). */
export function newTenantBody(domain: string, input: TenantInput): Record<string, unknown> {
  const body: Record<string, unknown> = { domain: domain.trim() };
  if (input.displayName.trim()) body.display_name = input.displayName.trim();
  if (input.isDefault) body.is_default = true;
  return body;
}

/**
 * The PATCH body that turns `before` into `input`: the display name always, `is_default` only
 * when it changes (making another tenant the default moves the mark; the server keeps one).
 */
export function tenantChangeBody(before: Tenant, input: TenantInput): Record<string, unknown> {
  const body: Record<string, unknown> = { display_name: input.displayName.trim() };
  if (input.isDefault !== before.isDefault) body.is_default = input.isDefault;
  return body;
}

export function readExtension(raw: unknown): Extension | null {
  const b = bag(raw);
  if (!b || text(b.number) === '') return null;
  return { number: text(b.number), displayName: text(b.display_name) };
}

export function readRegistration(raw: unknown): Registration | null {
  const b = bag(raw);
  if (!b || text(b.extension) === '') return null;
  const expires = typeof b.expires_in === 'number' && Number.isFinite(b.expires_in) ? b.expires_in : 0;
  return {
    id: text(b.id),
    extension: text(b.extension),
    contact: text(b.contact),
    transport: text(b.transport),
    source: text(b.source),
    userAgent: text(b.user_agent),
    expiresIn: Math.max(0, Math.floor(expires)),
  };
}

export function readCallRecord(raw: unknown): CallRecord | null {
  return normalizeCallRecord(raw);
}

/**
 * Unix milliseconds of local midnight starting the day `yyyy-mm-dd` plus `addDays`, or null when
 * the text is not a real date. The admin thinks in local days; the API takes instants.
 */
export function localDayStartMs(day: string, addDays = 0): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.trim());
  if (!match) return null;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const start = new Date(year, month - 1, date);
  if (start.getFullYear() !== year || start.getMonth() !== month - 1 || start.getDate() !== date) {
    return null; // 2026-02-30 rolls over in Date; refuse it instead
  }
  start.setDate(start.getDate() + addDays);
  return start.getTime();
}

/** A filter the page refuses before asking the API, by field name; empty when all are usable. */
export function filterErrors(filters: CallRecordFilters): Record<string, string> {
  const errors: Record<string, string> = {};
  if (filters.from && localDayStartMs(filters.from) === null) errors.from = 'Pick a valid start date.';
  if (filters.to && localDayStartMs(filters.to) === null) errors.to = 'Pick a valid end date.';
  const from = localDayStartMs(filters.from);
  const to = localDayStartMs(filters.to);
  if (from !== null && to !== null && to < from) errors.to = 'The end date is before the start date.';
  if (filters.disposition && !(DISPOSITIONS as readonly string[]).includes(filters.disposition)) {
    errors.disposition = 'Pick a result from the list.';
  }
  return errors;
}

/**
 * The query string (without "?") for GET .../call-records: `from` at the start of the first day,
 * `to` at the start of the day after the last one (the API's `to` is exclusive), the extension
 * and disposition as typed (the API validates them and names the field at fault).
 */
export function callRecordQuery(
  filters: CallRecordFilters,
  options: { cursor?: string | null; limit?: number; csv?: boolean } = {},
): string {
  const query = new URLSearchParams();
  const from = localDayStartMs(filters.from);
  const to = localDayStartMs(filters.to, 1);
  if (from !== null) query.set('from', String(from));
  if (to !== null) query.set('to', String(to));
  const extension = filters.extension.trim();
  if (extension) query.set('extension', extension);
  if (filters.disposition) query.set('disposition', filters.disposition);
  if (options.csv) {
    query.set('format', 'csv');
  } else {
    if (options.limit) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
  }
  return query.toString();
}

export function tenantPath(domain: string): string {
  return `/api/v1/tenants/${encodeURIComponent(domain)}`;
}

/** The link behind "Export CSV": every record matching the filters, as the API's CSV. */
export function csvExportUrl(domain: string, filters: CallRecordFilters): string {
  return `${tenantPath(domain)}/call-records?${callRecordQuery(filters, { csv: true })}`;
}

const DISPOSITION_LABELS: Record<string, string> = {
  answered: 'Answered',
  busy: 'Busy',
  no_answer: 'No answer',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export function dispositionLabel(disposition: string): string {
  return DISPOSITION_LABELS[disposition] ?? (disposition || 'Unknown');
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** "2026-01-31 08:05:09" in local time: sortable, unambiguous, the same in every locale. */
export function formatDateTime(date: Date | null): string {
  if (!date || Number.isNaN(date.getTime())) return '—';
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}

/** A registration's remaining lifetime: "45 s", "4 min 05 s", "1 h 02 min". */
export function formatExpiresIn(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${two(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${two(Math.floor((s % 3600) / 60))} min`;
}

/** The user part of a SIP address or a bare number: "sip:1003@parley.local" → "1003". */
export function userPart(address: string): string {
  const bare = address.replace(/^<|>$/g, '').replace(/^sips?:/i, '');
  const at = bare.indexOf('@');
  return at >= 0 ? bare.slice(0, at) : bare;
}

export type AdminPage =
  | 'dashboard' | 'extensions' | 'ring-groups' | 'forwarding' | 'rooms' | 'queues' | 'ivrs' | 'schedules'
  | 'voicemail' | 'calls' | 'recordings' | 'registrations' | 'devices' | 'tenants';
export const ADMIN_PAGES: readonly AdminPage[] = [
  'dashboard', 'extensions', 'ring-groups', 'forwarding', 'rooms', 'queues', 'ivrs', 'schedules', 'voicemail',
  'calls', 'recordings', 'registrations', 'devices', 'tenants',
];
/** Pages for the system admin only (the API refuses them to a tenant admin anyway). */
export const SYSTEM_ADMIN_PAGES: readonly AdminPage[] = ['tenants'];

/**
 * The console's page from the URL fragment (`/admin#calls`). A fragment never reaches the
 * server, so a reload works with the single admin/index.html the build writes. A tenant admin
 * asking for a system admin's page gets the extensions instead.
 */
export function adminPageOf(hash: string, systemAdmin = true): AdminPage {
  const name = hash.replace(/^#/, '');
  if (!(ADMIN_PAGES as readonly string[]).includes(name)) return 'extensions';
  const page = name as AdminPage;
  return systemAdmin || !SYSTEM_ADMIN_PAGES.includes(page) ? page : 'extensions';
}

/**
 * Sorts a failed request into a form's field errors (when the problem document's `field` names
 * one of the form's `fields`) or a message for the whole form.
 */
export function splitApiError(
  caught: unknown,
  fields: readonly string[],
): { fields: Record<string, string>; form: string | null } {
  const message = caught instanceof Error && caught.message ? caught.message : 'Something went wrong.';
  const field = (caught as { field?: unknown } | null)?.field;
  if (typeof field === 'string' && fields.includes(field)) return { fields: { [field]: message }, form: null };
  return { fields: {}, form: message };
}

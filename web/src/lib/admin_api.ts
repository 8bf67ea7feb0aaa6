// The REST calls of the admin console (same origin, cookie session, X-CSRF-Token on changes).
// Errors become ApiError with the problem document's detail and `field`, so a form can show the
// message beside the input at fault.

import { signIn, type Session } from './api';
import { call, getJson } from './rest';
import { adminSignInError } from './errors';
import { readLiveCall, type LiveCall } from './dashboard';
import type { CallRecord } from './call_records';
import {
  callRecordQuery,
  newTenantBody,
  readCallRecord,
  readExtension,
  readPage,
  readRegistration,
  readTenant,
  tenantChangeBody,
  tenantPath,
  type CallRecordFilters,
  type Extension,
  type Page,
  type Registration,
  type Tenant,
  type TenantInput,
} from './admin';

export const ADMIN_ROLES = ['system_admin', 'tenant_admin'];
export const CALL_RECORD_PAGE = 25;

export function adminSignIn(name: string, password: string): Promise<Session> {
  return signIn(name, password, adminSignInError);
}

export async function listTenants(): Promise<Tenant[]> {
  return readPage(await getJson('/api/v1/tenants?limit=1000'), readTenant).items;
}

/** Creates a tenant (system admin); a refused domain comes back with `field` "domain". */
export async function createTenant(session: Session, domain: string, input: TenantInput): Promise<void> {
  await call(session, 'POST', '/api/v1/tenants', newTenantBody(domain, input));
}

export async function changeTenant(session: Session, before: Tenant, input: TenantInput): Promise<void> {
  await call(session, 'PATCH', tenantPath(before.domain), tenantChangeBody(before, input));
}

/** Removes the tenant with its extensions, registrations, call records, admins and tokens. */
export async function deleteTenant(session: Session, domain: string): Promise<void> {
  await call(session, 'DELETE', tenantPath(domain));
}

export async function listExtensions(domain: string, cursor: string | null = null): Promise<Page<Extension>> {
  const query = cursor ? `?limit=1000&cursor=${encodeURIComponent(cursor)}` : '?limit=1000';
  return readPage(await getJson(`${tenantPath(domain)}/extensions${query}`), readExtension);
}

export interface NewExtension {
  number: string;
  displayName: string;
  /** null: the server generates one and returns it once. */
  password: string | null;
}

/** Creates the extension; answers the generated password (or null when one was typed). */
export async function createExtension(session: Session, domain: string, input: NewExtension): Promise<string | null> {
  const body: Record<string, string> = { number: input.number.trim() };
  if (input.displayName.trim()) body.display_name = input.displayName.trim();
  if (input.password !== null) body.password = input.password;
  const created = await call(session, 'POST', `${tenantPath(domain)}/extensions`, body);
  const password = (created as Record<string, unknown> | null)?.password;
  return typeof password === 'string' ? password : null;
}

export async function renameExtension(session: Session, domain: string, number: string, displayName: string): Promise<void> {
  await call(session, 'PATCH', `${tenantPath(domain)}/extensions/${encodeURIComponent(number)}`, {
    display_name: displayName.trim(),
  });
}

export async function deleteExtension(session: Session, domain: string, number: string): Promise<void> {
  await call(session, 'DELETE', `${tenantPath(domain)}/extensions/${encodeURIComponent(number)}`);
}

export async function listRegistrations(domain: string): Promise<Registration[]> {
  return readPage(await getJson(`${tenantPath(domain)}/registrations`), readRegistration).items;
}

/** Ends one live registration as an unregistering REGISTER would (decision 0038). */
export async function unregister(session: Session, domain: string, id: string): Promise<void> {
  await call(session, 'DELETE', `${tenantPath(domain)}/registrations/${encodeURIComponent(id)}`);
}

export async function callRecordsPage(
  domain: string,
  filters: CallRecordFilters,
  cursor: string | null,
): Promise<Page<CallRecord>> {
  const query = callRecordQuery(filters, { cursor, limit: CALL_RECORD_PAGE });
  return readPage(await getJson(`${tenantPath(domain)}/call-records?${query}`), readCallRecord);
}

/** The tenant's calls in progress (GET /api/v1/calls/live?tenant=...). */
export async function listLiveCalls(domain: string): Promise<LiveCall[]> {
  return readPage(await getJson(`/api/v1/calls/live?tenant=${encodeURIComponent(domain)}`), readLiveCall).items;
}

/** Bounds the dashboard's reading of the last day's call records (pages of 1,000). */
export const DASHBOARD_MAX_PAGES = 10;

/**
 * Every call record of the tenant that started at or after `fromMs`, read page by page up to
 * DASHBOARD_MAX_PAGES; `complete` is false when more were left unread.
 */
export async function recentCallRecords(
  domain: string,
  fromMs: number,
): Promise<{ records: CallRecord[]; complete: boolean }> {
  const records: CallRecord[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < DASHBOARD_MAX_PAGES; page += 1) {
    const query = new URLSearchParams({ from: String(fromMs), limit: '1000' });
    if (cursor) query.set('cursor', cursor);
    const read: Page<CallRecord> = readPage(
      await getJson(`${tenantPath(domain)}/call-records?${query.toString()}`),
      readCallRecord,
    );
    records.push(...read.items);
    cursor = read.nextCursor;
    if (!cursor) return { records, complete: true };
  }
  return { records, complete: false };
}

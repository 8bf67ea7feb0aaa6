// The call history arrives from GET /api/v1/me/call-records. Its exact field names are the
// API's to choose, so each record is read defensively: known spellings are tried in turn and
// anything unusable becomes null rather than a crash or "undefined" on screen.

export interface CallRecord {
  start: Date | null;
  from: string;
  to: string;
  durationSeconds: number | null;
  disposition: string;
}

type Bag = Record<string, unknown>;

function pick(record: Bag, names: string[]): unknown {
  for (const name of names) {
    if (record[name] !== undefined && record[name] !== null) return record[name];
  }
  return undefined;
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

function instant(value: unknown): Date | null {
  let date: Date | null = null;
  if (typeof value === 'string' && value.trim() !== '') {
    date = /^\d+(\.\d+)?$/.test(value.trim()) ? new Date(Number(value) * 1000) : new Date(value);
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    // Seconds since the epoch (the store's unit) unless it is clearly milliseconds.
    date = new Date(value > 1e12 ? value : value * 1000);
  }
  return date && !Number.isNaN(date.getTime()) ? date : null;
}

function seconds(value: unknown, millis: unknown): number | null {
  const s = typeof value === 'string' ? Number(value) : value;
  if (typeof s === 'number' && Number.isFinite(s) && s >= 0) return s;
  const ms = typeof millis === 'string' ? Number(millis) : millis;
  if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  return null;
}

export function normalizeCallRecord(raw: unknown): CallRecord | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const record = raw as Bag;
  return {
    start: instant(pick(record, ['start', 'start_time', 'started_at', 'start_ms', 'begin', 'time'])),
    from: text(pick(record, ['from', 'caller', 'from_uri', 'source'])),
    to: text(pick(record, ['to', 'callee', 'to_uri', 'destination'])),
    durationSeconds: seconds(
      pick(record, ['duration', 'duration_s', 'duration_seconds', 'billsec']),
      pick(record, ['duration_ms']),
    ),
    disposition: text(pick(record, ['disposition', 'status', 'result', 'outcome'])) || 'unknown',
  };
}

/**
 * The response body ({"items": [...], "next_cursor"} from Parley's API, or a bare list) as
 * records, newest first; a body of another shape gives [].
 */
export function normalizeCallRecords(body: unknown): CallRecord[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? ((body as Bag).records ?? (body as Bag).items ?? (body as Bag).call_records)
      : undefined;
  if (!Array.isArray(list)) return [];
  const records = list.map(normalizeCallRecord).filter((r): r is CallRecord => r !== null);
  return records.sort((a, b) => (b.start?.getTime() ?? 0) - (a.start?.getTime() ?? 0));
}

export interface Contact {
  extension: string;
  displayName: string;
}

/**
 * GET /api/v1/directory: {"tenant", "items": [{"number", "display_name"}]} (a bare list and
 * "extension" for "number" are read as well), sorted by extension.
 */
export function normalizeDirectory(body: unknown): Contact[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === 'object' && body !== null
      ? (body as Bag).items
      : undefined;
  if (!Array.isArray(list)) return [];
  const contacts: Contact[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue;
    const extension = text(pick(entry as Bag, ['number', 'extension']));
    if (extension === '') continue;
    contacts.push({ extension, displayName: text((entry as Bag).display_name) });
  }
  return contacts.sort((a, b) => a.extension.localeCompare(b.extension, 'en', { numeric: true }));
}

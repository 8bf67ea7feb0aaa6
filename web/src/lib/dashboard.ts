// The admin dashboard's data: the live counts pushed over /api/v1/events, the live calls list
// and the hourly call figures computed from call records. Pure functions, unit-tested in Node.

export interface TenantCounts {
  tenant: string;
  registrations: number;
  ringing: number;
  answered: number;
}

export interface LiveCall {
  id: string;
  caller: string;
  callee: string;
  state: 'ringing' | 'answered';
  startedMs: number;
  answeredMs: number | null;
}

export interface HourlyCalls {
  /** Unix seconds of the start of each hour, oldest first (uPlot's x axis). */
  hours: number[];
  total: number[];
  answered: number[];
  /** Answered ÷ total in percent; null for an hour without calls (a gap, not a zero). */
  answerRate: (number | null)[];
}

type Bag = Record<string, unknown>;

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
}

/** The tenants of a {"type":"counts"} event, or null for any other or malformed message. */
export function readCountsEvent(text: string): TenantCounts[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const event = parsed as Bag | null;
  if (!event || event.type !== 'counts' || !Array.isArray(event.tenants)) return null;
  const out: TenantCounts[] = [];
  for (const raw of event.tenants as unknown[]) {
    const item = raw as Bag | null;
    const calls = (item?.calls ?? null) as Bag | null;
    const tenant = item?.tenant;
    const registrations = count(item?.registrations);
    const ringing = count(calls?.ringing);
    const answered = count(calls?.answered);
    if (typeof tenant !== 'string' || registrations === null || ringing === null || answered === null) {
      continue;
    }
    out.push({ tenant, registrations, ringing, answered });
  }
  return out;
}

/** One item of GET /api/v1/calls/live, or null when it lacks what the table shows. */
export function readLiveCall(raw: unknown): LiveCall | null {
  const item = raw as Bag | null;
  if (!item || typeof item.id !== 'string' || typeof item.caller !== 'string' || typeof item.callee !== 'string') {
    return null;
  }
  if (item.state !== 'ringing' && item.state !== 'answered') return null;
  if (typeof item.started_ms !== 'number') return null;
  return {
    id: item.id,
    caller: item.caller,
    callee: item.callee,
    state: item.state,
    startedMs: item.started_ms,
    answeredMs: typeof item.answered_ms === 'number' ? item.answered_ms : null,
  };
}

const HOUR_MS = 3_600_000;

/**
 * Calls per hour and the answer rate over the `hours` whole hours up to the one containing
 * `nowMs`, from call records (start and disposition). Records outside the window are ignored.
 */
export function hourlyCalls(
  records: readonly { start: Date | null; disposition: string }[],
  nowMs: number,
  hours = 24,
): HourlyCalls {
  const last = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const first = last - (hours - 1) * HOUR_MS;
  const total = new Array<number>(hours).fill(0);
  const answered = new Array<number>(hours).fill(0);
  for (const record of records) {
    const at = record.start?.getTime();
    if (at === undefined || Number.isNaN(at) || at < first || at >= last + HOUR_MS) continue;
    const slot = Math.floor((at - first) / HOUR_MS);
    total[slot] += 1;
    if (record.disposition === 'answered') answered[slot] += 1;
  }
  return {
    hours: total.map((_, i) => (first + i * HOUR_MS) / 1000),
    total,
    answered,
    answerRate: total.map((n, i) => (n === 0 ? null : Math.round((1000 * answered[i]) / n) / 10)),
  };
}

/** The events WebSocket on this page's own origin (wss:// for https://). */
export function eventsUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'http:' ? 'ws:' : 'wss:'}//${location.host}/api/v1/events`;
}

// A tenant's call records, newest first: filters (dates, extension, result), next page through
// the API's cursor, and the API's CSV export of everything the filters match.
import { useEffect, useState } from 'preact/hooks';
import type { CallRecord } from '../../lib/call_records';
import { formatDuration } from '../../lib/duration';
import {
  csvExportUrl,
  DISPOSITIONS,
  dispositionLabel,
  filterErrors,
  formatDateTime,
  NO_FILTERS,
  splitApiError,
  userPart,
  type CallRecordFilters,
} from '../../lib/admin';
import { callRecordsPage } from '../../lib/admin_api';
import { Field } from './field';

const FILTER_FIELDS = ['from', 'to', 'extension', 'disposition'] as const;

export function CallRecordsPage({ domain }: { domain: string }) {
  const [draft, setDraft] = useState<CallRecordFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<CallRecordFilters>(NO_FILTERS);
  // Cursors of the pages before the shown one, so "Previous page" can go back.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [records, setRecords] = useState<CallRecord[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const cursor = cursors[cursors.length - 1];

  function load(filters: CallRecordFilters, at: string | null) {
    setLoading(true);
    setLoadError(null);
    callRecordsPage(domain, filters, at)
      .then((page) => {
        setRecords(page.items);
        setNextCursor(page.nextCursor);
      })
      .catch((caught) => {
        const split = splitApiError(caught, FILTER_FIELDS);
        setErrors(split.fields);
        setLoadError(split.form ?? (Object.keys(split.fields).length ? null : 'unknown error'));
        setRecords([]);
        setNextCursor(null);
      })
      .finally(() => setLoading(false));
  }

  useEffect(() => load(applied, cursor), [domain, applied, cursor]);

  function apply(event: Event) {
    event.preventDefault();
    const local = filterErrors(draft);
    setErrors(local);
    if (Object.keys(local).length > 0) return;
    setCursors([null]);
    setApplied({ ...draft });
  }

  function clear() {
    setDraft(NO_FILTERS);
    setErrors({});
    setCursors([null]);
    setApplied(NO_FILTERS);
  }

  const set = (name: keyof CallRecordFilters) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setDraft((d) => ({ ...d, [name]: e.currentTarget.value }));

  return (
    <section aria-labelledby="calls-heading">
      <div class="row">
        <h2 id="calls-heading">Call records of {domain}</h2>
        <a class="button" href={csvExportUrl(domain, applied)} download>Export CSV</a>
      </div>
      <form class="card filters" onSubmit={apply} aria-label="Filter call records" noValidate>
        <Field id="filter-from" label="From date" error={errors.from}>
          {(describedBy, invalid) => (
            <input id="filter-from" type="date" value={draft.from} onInput={set('from')}
              aria-describedby={describedBy} aria-invalid={invalid || undefined} />
          )}
        </Field>
        <Field id="filter-to" label="To date" error={errors.to}>
          {(describedBy, invalid) => (
            <input id="filter-to" type="date" value={draft.to} onInput={set('to')}
              aria-describedby={describedBy} aria-invalid={invalid || undefined} />
          )}
        </Field>
        <Field id="filter-extension" label="Extension" error={errors.extension}>
          {(describedBy, invalid) => (
            <input id="filter-extension" inputMode="numeric" value={draft.extension} onInput={set('extension')}
              aria-describedby={describedBy} aria-invalid={invalid || undefined} />
          )}
        </Field>
        <Field id="filter-disposition" label="Result" error={errors.disposition}>
          {(describedBy, invalid) => (
            <select id="filter-disposition" value={draft.disposition} onChange={set('disposition')}
              aria-describedby={describedBy} aria-invalid={invalid || undefined}>
              <option value="">Any</option>
              {DISPOSITIONS.map((d) => <option key={d} value={d}>{dispositionLabel(d)}</option>)}
            </select>
          )}
        </Field>
        <div class="filter-buttons">
          <button type="submit" class="primary">Apply filters</button>
          <button type="button" onClick={clear}>Clear filters</button>
        </div>
      </form>
      {loadError && <p class="error" role="alert">The call records could not be loaded: {loadError}</p>}
      {records === null && !loadError && <p class="muted">Loading…</p>}
      {records && records.length === 0 && !loadError && !loading && <p class="muted">No call records match.</p>}
      {records && records.length > 0 && (
        <table class="admin-table" aria-busy={loading}>
          <caption class="visually-hidden">Call records</caption>
          <thead>
            <tr>
              <th scope="col">Date</th><th scope="col">From</th><th scope="col">To</th>
              <th scope="col">Duration</th><th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r, i) => (
              <tr key={`${cursor}-${i}`}>
                <td>{formatDateTime(r.start)}</td>
                <td>{userPart(r.from) || '—'}</td>
                <td>{userPart(r.to) || '—'}</td>
                <td>{r.durationSeconds === null ? '—' : formatDuration(r.durationSeconds)}</td>
                <td>{dispositionLabel(r.disposition)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="pager">
        <button type="button" disabled={cursors.length <= 1 || loading}
          onClick={() => setCursors((list) => list.slice(0, -1))}>Previous page</button>
        <button type="button" disabled={!nextCursor || loading}
          onClick={() => nextCursor && setCursors((list) => [...list, nextCursor])}>Next page</button>
      </div>
    </section>
  );
}

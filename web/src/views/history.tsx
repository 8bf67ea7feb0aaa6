import { formatDuration } from '../lib/duration';
import type { CallRecord } from '../lib/call_records';
import { displayUser } from '../lib/address';

interface Props {
  records: CallRecord[] | null;
  error: string | null;
  onRefresh: () => void;
}

const WHEN = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function History({ records, error, onRefresh }: Props) {
  return (
    <section aria-label="Call history">
      <div class="row">
        <h2>Call history</h2>
        <button type="button" onClick={onRefresh} aria-label="Refresh call history">Refresh</button>
      </div>
      {error && <p class="error" role="alert">Call history could not be loaded: {error}</p>}
      {!error && records === null && <p class="muted">Loading…</p>}
      {records && records.length === 0 && <p class="muted">No calls yet.</p>}
      {records && records.length > 0 && (
        <table class="history">
          <thead>
            <tr><th>When</th><th>From</th><th>To</th><th>Length</th><th>Result</th></tr>
          </thead>
          <tbody>
            {records.map((r, i) => (
              <tr key={i}>
                <td>{r.start ? WHEN.format(r.start) : '—'}</td>
                <td>{displayUser(r.from) || '—'}</td>
                <td>{displayUser(r.to) || '—'}</td>
                <td>{r.durationSeconds === null ? '—' : formatDuration(r.durationSeconds)}</td>
                <td>{r.disposition}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

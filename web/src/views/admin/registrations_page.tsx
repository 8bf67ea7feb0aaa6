// The tenant's live registrations (the running location service), asked again every few
// seconds while the tab is visible. The WebSocket dashboard of issue 9 will replace the polling.
import { useEffect, useState } from 'preact/hooks';
import type { Registration } from '../../lib/admin';
import { formatDateTime, formatExpiresIn } from '../../lib/admin';
import { listRegistrations } from '../../lib/admin_api';

export const REFRESH_MS = 3000;

export function RegistrationsPage({ domain }: { domain: string }) {
  const [registrations, setRegistrations] = useState<Registration[] | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    const refresh = () => {
      if (document.hidden) return;
      listRegistrations(domain)
        .then((list) => {
          if (stopped) return;
          setRegistrations(list);
          setUpdated(new Date());
          setError(null);
        })
        .catch((caught: Error) => !stopped && setError(caught.message));
    };
    refresh();
    const timer = window.setInterval(refresh, REFRESH_MS);
    return () => {
      stopped = true;
      window.clearInterval(timer);
    };
  }, [domain]);

  return (
    <section aria-labelledby="registrations-heading">
      <div class="row">
        <h2 id="registrations-heading">Registrations of {domain}</h2>
        <p class="muted" role="status" aria-label="Last refresh">
          {updated ? `Updated ${formatDateTime(updated)}` : 'Loading…'}
        </p>
      </div>
      <p class="hint">Refreshed every {REFRESH_MS / 1000} seconds.</p>
      {error && <p class="error" role="alert">The registrations could not be loaded: {error}</p>}
      {registrations && registrations.length === 0 && <p class="muted">No phone is registered.</p>}
      {registrations && registrations.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Registrations</caption>
          <thead>
            <tr>
              <th scope="col">Extension</th><th scope="col">Contact</th><th scope="col">Transport</th>
              <th scope="col">Source</th><th scope="col">User agent</th><th scope="col">Expires in</th>
            </tr>
          </thead>
          <tbody>
            {registrations.map((r) => (
              <tr key={`${r.extension} ${r.contact}`}>
                <th scope="row">{r.extension}</th>
                <td class="wrap">{r.contact}</td>
                <td>{r.transport}</td>
                <td>{r.source}</td>
                <td class="wrap">{r.userAgent || '—'}</td>
                <td>{formatExpiresIn(r.expiresIn)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

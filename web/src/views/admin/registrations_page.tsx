// The tenant's live registrations (the running location service), asked again every few
// seconds while the tab is visible. The WebSocket dashboard of issue 9 will replace the polling.
// Unregister (after a confirmation) ends one binding as the phone's own unregistering REGISTER
// would (decision 0038): its row goes at once, and a phone that registers again comes back.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import type { Registration } from '../../lib/admin';
import { formatDateTime, formatExpiresIn } from '../../lib/admin';
import { listRegistrations, unregister } from '../../lib/admin_api';

export const REFRESH_MS = 3000;

export function RegistrationsPage({ session, domain }: { session: Session; domain: string }) {
  const [registrations, setRegistrations] = useState<Registration[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
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
      <p class="hint">
        Refreshed every {REFRESH_MS / 1000} seconds. Unregister ends a registration now: calls to it fail until
        the phone registers again.
      </p>
      {notice && (
        <div class="notice" role="status">
          {notice}{' '}
          <button type="button" class="link" onClick={() => setNotice(null)}>Dismiss</button>
        </div>
      )}
      {error && <p class="error" role="alert">The registrations could not be loaded: {error}</p>}
      {registrations && registrations.length === 0 && <p class="muted">No phone is registered.</p>}
      {registrations && registrations.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Registrations</caption>
          <thead>
            <tr>
              <th scope="col">Extension</th><th scope="col">Contact</th><th scope="col">Transport</th>
              <th scope="col">Source</th><th scope="col">User agent</th><th scope="col">Expires in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {registrations.map((r) => (
              <tr key={r.id || `${r.extension} ${r.contact}`}>
                <th scope="row">{r.extension}</th>
                <td class="wrap">{r.contact}</td>
                <td>{r.transport}</td>
                <td>{r.source}</td>
                <td class="wrap">{r.userAgent || '—'}</td>
                <td>{formatExpiresIn(r.expiresIn)}</td>
                <td class="actions">
                  <UnregisterButton registration={r} end={() => unregister(session, domain, r.id)}
                    onEnded={() => {
                      setRegistrations((before) => (before ?? []).filter((other) => other.id !== r.id));
                      setNotice(`The registration of ${r.extension} at ${r.source} was ended.`);
                    }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Unregister with a confirmation naming the phone; an error stays in the cell. */
function UnregisterButton({ registration, end, onEnded }: {
  registration: Registration; end: () => Promise<void>; onEnded: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = `${registration.extension} at ${registration.source}`;
  if (!registration.id) return null;

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await end();
      onEnded();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The registration could not be ended.');
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <>
      {!confirming && (
        <button type="button" onClick={() => setConfirming(true)} aria-label={`Unregister ${name}`}>Unregister</button>
      )}
      {confirming && (
        <span role="group" aria-label={`Confirm unregistering ${name}`}>
          <span class="muted">End it?</span>{' '}
          <button type="button" class="danger" disabled={busy} aria-label={`Yes, unregister ${name}`}
            onClick={() => void confirm()}>Yes, unregister</button>
          <button type="button" onClick={() => setConfirming(false)}>Keep</button>
        </span>
      )}
      {error && <p class="field-error" role="alert">{error}</p>}
    </>
  );
}

// Forwarding and do-not-disturb of one extension at a time: pick the extension, switch DND, and
// set or clear the rule of each condition (always, busy, no answer after N s, unregistered).
// Each change is one API request, applied whole; the running server uses it for the next call.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import type { Extension } from '../../lib/admin';
import { listExtensions } from '../../lib/admin_api';
import {
  clearForward, CONDITION_LABELS, FORWARD_CONDITIONS, getCallFeatures, setDoNotDisturb, setForward,
  type CallFeatures, type ForwardCondition,
} from '../../lib/call_features';

interface Props {
  session: Session;
  domain: string;
}

export function ForwardingPage({ session, domain }: Props) {
  const [extensions, setExtensions] = useState<Extension[] | null>(null);
  const [number, setNumber] = useState('');
  const [features, setFeatures] = useState<CallFeatures | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    listExtensions(domain)
      .then((page) => {
        setExtensions(page.items);
        setNumber((chosen) => chosen || page.items[0]?.number || '');
      })
      .catch((caught: Error) => setError(`The extensions could not be loaded: ${caught.message}`));
  }, [domain]);

  function load() {
    if (!number) return;
    setFeatures(null);
    getCallFeatures(domain, number)
      .then(setFeatures)
      .catch((caught: Error) => setError(`The call features could not be loaded: ${caught.message}`));
  }
  useEffect(load, [domain, number]);

  async function toggleDnd(on: boolean) {
    setError(null);
    try {
      await setDoNotDisturb(session, domain, number, on);
      load();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The change failed.');
    }
  }

  return (
    <section aria-labelledby="forwarding-heading">
      <h2 id="forwarding-heading">Forwarding and do-not-disturb</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {extensions && extensions.length === 0 && <p class="muted">No extensions yet.</p>}
      {extensions && extensions.length > 0 && (
        <div class="field">
          <label for="forwarding-extension">Extension</label>
          <select id="forwarding-extension" value={number} onChange={(e) => setNumber(e.currentTarget.value)}>
            {extensions.map((x) => (
              <option key={x.number} value={x.number}>{x.displayName ? `${x.number} (${x.displayName})` : x.number}</option>
            ))}
          </select>
        </div>
      )}
      {number && features === null && !error && <p class="muted">Loading…</p>}
      {features && (
        <div class="card">
          <label class="radio">
            <input type="checkbox" checked={features.dnd} onChange={(e) => void toggleDnd(e.currentTarget.checked)} />
            Do not disturb (callers get busy)
          </label>
          <table class="admin-table">
            <caption class="visually-hidden">Forwarding rules of {number}</caption>
            <thead>
              <tr><th scope="col">Condition</th><th scope="col">Forward to</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              {FORWARD_CONDITIONS.map((condition) => (
                <ForwardRow key={`${number}-${condition}`} session={session} domain={domain} number={number}
                  condition={condition} features={features} onChanged={load} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ForwardRow({ session, domain, number, condition, features, onChanged }: {
  session: Session; domain: string; number: string; condition: ForwardCondition;
  features: CallFeatures; onChanged: () => void;
}) {
  const current = features.forwards.find((f) => f.condition === condition) ?? null;
  const [destination, setDestination] = useState(current?.destination ?? '');
  const [seconds, setSeconds] = useState(String(current?.noAnswerSeconds ?? 20));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = `forward-${condition}`;

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The change failed.');
    } finally {
      setBusy(false);
    }
  }

  function save(event: Event) {
    event.preventDefault();
    const wait = condition === 'no-answer' ? Number(seconds) : null;
    if (wait !== null && !Number.isInteger(wait)) {
      setError('Enter whole seconds, 5 to 600.');
      return;
    }
    void run(() => setForward(session, domain, number, condition, destination, wait));
  }

  return (
    <tr>
      <th scope="row">{CONDITION_LABELS[condition]}</th>
      <td>
        <form class="inline-form" id={`${id}-form`} onSubmit={save} aria-label={`${CONDITION_LABELS[condition]} forward of ${number}`} noValidate>
          <label class="visually-hidden" for={id}>Forward {CONDITION_LABELS[condition].toLowerCase()} to</label>
          <input id={id} value={destination} placeholder="not forwarded" onInput={(e) => setDestination(e.currentTarget.value)}
            aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
          {condition === 'no-answer' && (
            <>
              <label for={`${id}-seconds`}>after</label>
              <input id={`${id}-seconds`} inputMode="numeric" value={seconds}
                onInput={(e) => setSeconds(e.currentTarget.value)} /> s
            </>
          )}
        </form>
        {error && <p id={`${id}-error`} class="field-error" role="alert">{error}</p>}
      </td>
      <td class="actions">
        <button type="submit" form={`${id}-form`} class="primary" disabled={busy}
          aria-label={`Save ${CONDITION_LABELS[condition].toLowerCase()} forward`}>Save</button>
        {current && (
          <button type="button" disabled={busy} aria-label={`Clear ${CONDITION_LABELS[condition].toLowerCase()} forward`}
            onClick={() => void run(() => clearForward(session, domain, number, condition))}>Clear</button>
        )}
      </td>
    </tr>
  );
}

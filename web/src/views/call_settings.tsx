// The user's own do-not-disturb switch and call forwarding in the softphone (issues 9 and 10).
// The state lives on the server (it also changes through feature codes such as *78 and in the
// admin console), so the switch reads it when shown, again every 5 s while the page is
// visible, and from the server's answer after each change: it always shows the live state.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../lib/api';
import {
  CONDITION_LABELS, clearForward, getCallFeatures, setDoNotDisturb, setForward, type CallFeatures,
  type ForwardCondition,
} from '../lib/call_features';

const REFRESH_MS = 5_000;

export type CallFeaturesState = ReturnType<typeof useCallFeatures>;

/** The user's call features, read now, every 5 s while visible, and after each change. */
export function useCallFeatures(domain: string, extension: string) {
  const [features, setFeatures] = useState<CallFeatures | null>(null);
  const [error, setError] = useState<string | null>(null);

  function refresh() {
    getCallFeatures(domain, extension)
      .then((read) => { setFeatures(read); setError(null); })
      .catch((caught: Error) => setError(caught.message));
  }

  useEffect(() => {
    refresh();
    const timer = window.setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, REFRESH_MS);
    const onVisible = () => { if (document.visibilityState === 'visible') refresh(); };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [domain, extension]);
  return { features, error, setError, refresh };
}

interface Props {
  session: Session;
  domain: string;
  extension: string;
  state: CallFeaturesState;
}

export function DndSwitch({ session, domain, extension, state }: Props) {
  const { features, error, setError, refresh } = state;
  const [busy, setBusy] = useState(false);
  const on = features?.dnd === true;

  async function toggle() {
    setBusy(true);
    try {
      await setDoNotDisturb(session, domain, extension, !on);
      refresh();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Do not disturb could not be changed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="dnd-switch">
      <button type="button" role="switch" aria-checked={on} disabled={busy || features === null}
        class={on ? 'switch on' : 'switch'} onClick={() => void toggle()}>
        Do not disturb{on ? ': on' : ''}
      </button>
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}

const FORWARD_HINT = 'A number, an extension, or voicemail:' as const;

/** Forwarding of the user's own calls, one rule per condition. */
export function ForwardingSettings({ session, domain, extension, state }: Props) {
  const { features, error, setError, refresh } = state;
  const [condition, setCondition] = useState<ForwardCondition>('always');
  const [destination, setDestination] = useState('');
  const [busy, setBusy] = useState(false);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setDestination('');
      refresh();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Forwarding could not be changed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card forwarding" aria-labelledby="forwarding-heading">
      <h2 id="forwarding-heading">Call forwarding</h2>
      {features && features.forwards.length === 0 && <p class="muted">Your calls are not forwarded.</p>}
      {features && features.forwards.length > 0 && (
        <ul>
          {features.forwards.map((forward) => (
            <li key={forward.condition}>
              {CONDITION_LABELS[forward.condition]}: {forward.destination}{' '}
              <button type="button" class="link" disabled={busy} aria-label={`Stop forwarding ${CONDITION_LABELS[forward.condition].toLowerCase()}`}
                onClick={() => void run(() => clearForward(session, domain, extension, forward.condition))}>Stop</button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" aria-label="Forward my calls" noValidate
        onSubmit={(e) => { e.preventDefault(); void run(() => setForward(session, domain, extension, condition, destination, null)); }}>
        <label for="forward-condition" class="visually-hidden">When</label>
        <select id="forward-condition" value={condition} onChange={(e) => setCondition(e.currentTarget.value as ForwardCondition)}>
          {(Object.keys(CONDITION_LABELS) as ForwardCondition[]).map((c) => <option key={c} value={c}>{CONDITION_LABELS[c]}</option>)}
        </select>
        <label for="forward-destination" class="visually-hidden">Forward to</label>
        <input id="forward-destination" placeholder={`${FORWARD_HINT}${extension}`} value={destination}
          aria-invalid={error ? true : undefined} onInput={(e) => setDestination(e.currentTarget.value)} />
        <button type="submit" disabled={busy || destination.trim() === ''}>Forward</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}

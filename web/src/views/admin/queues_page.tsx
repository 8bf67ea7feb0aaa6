// A tenant's call queues: list, create, change (every setting and the members, in one request
// the server applies whole or not at all), delete. Problem documents that name a field show
// their message beside that input.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { splitApiError } from '../../lib/admin';
import { parseMembers } from '../../lib/call_features';
import {
  changeCallQueue, createCallQueue, deleteCallQueue, listCallQueues, QUEUE_STRATEGIES, STRATEGY_LABELS,
  wholeNumber, type CallQueue, type QueueStrategy,
} from '../../lib/rooms_queues';
import { Field } from './field';

interface Props {
  session: Session;
  domain: string;
}

export function QueuesPage({ session, domain }: Props) {
  const [queues, setQueues] = useState<CallQueue[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [editing, setEditing] = useState<CallQueue | null>(null);

  function load() {
    setLoadError(null);
    listCallQueues(domain).then(setQueues).catch((caught: Error) => setLoadError(caught.message));
  }
  useEffect(load, [domain]);

  return (
    <section aria-labelledby="queues-heading">
      <h2 id="queues-heading">Call queues of {domain}</h2>
      {notice && (
        <p class="notice" role="status">
          {notice}{' '}
          <button type="button" class="link" onClick={() => setNotice(null)}>Dismiss</button>
        </p>
      )}
      {loadError && <p class="error" role="alert">The call queues could not be loaded: {loadError}</p>}
      {!loadError && queues === null && <p class="muted">Loading…</p>}
      {queues && queues.length === 0 && <p class="muted">No call queues yet.</p>}
      {queues && queues.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Call queues</caption>
          <thead>
            <tr>
              <th scope="col">Number</th><th scope="col">Name</th><th scope="col">Rings</th>
              <th scope="col">Limits</th><th scope="col">Members</th><th scope="col">Then</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {queues.map((queue) => (
              <QueueRow key={queue.number} session={session} domain={domain} queue={queue}
                onEdit={() => setEditing(queue)} onChanged={load} />
            ))}
          </tbody>
        </table>
      )}
      {editing ? (
        <QueueForm key={`edit-${editing.number}`} session={session} domain={domain} existing={editing}
          onDone={(message) => { setEditing(null); if (message) setNotice(message); load(); }} />
      ) : (
        <QueueForm key="new" session={session} domain={domain} existing={null}
          onDone={(message) => { if (message) setNotice(message); load(); }} />
      )}
    </section>
  );
}

function QueueRow({ session, domain, queue, onEdit, onChanged }: {
  session: Session; domain: string; queue: CallQueue; onEdit: () => void; onChanged: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await deleteCallQueue(session, domain, queue.number);
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The queue could not be deleted.');
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  const wait = queue.maxWaitSeconds === 0 ? 'no wait limit' : `wait ≤ ${queue.maxWaitSeconds} s`;
  const callers = queue.maxCallers === 0 ? 'any number waiting' : `≤ ${queue.maxCallers} waiting`;
  return (
    <tr>
      <th scope="row">{queue.number}</th>
      <td>{queue.name || <span class="muted">—</span>}</td>
      <td>{STRATEGY_LABELS[queue.strategy]}, {queue.ringTimeoutSeconds} s, wrap-up {queue.wrapUpSeconds} s</td>
      <td>{wait}, {callers}</td>
      <td>{queue.members.join(', ') || <span class="muted">none</span>}</td>
      <td>{queue.fallback === 'hangup' ? 'Hang up' : queue.fallback}</td>
      <td class="actions">
        {!confirming && (
          <>
            <button type="button" onClick={onEdit} aria-label={`Change queue ${queue.number}`}>Change</button>
            <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete queue ${queue.number}`}>Delete</button>
          </>
        )}
        {confirming && (
          <span role="group" aria-label={`Confirm deleting queue ${queue.number}`}>
            <span class="muted">Delete queue {queue.number}?</span>{' '}
            <button type="button" class="danger" disabled={busy} aria-label={`Yes, delete queue ${queue.number}`}
              onClick={() => void remove()}>Yes, delete</button>
            <button type="button" onClick={() => setConfirming(false)}>Keep</button>
          </span>
        )}
        {error && <p class="field-error" role="alert">{error}</p>}
      </td>
    </tr>
  );
}

const FIELDS = [
  'number', 'name', 'strategy', 'ring_timeout_seconds', 'wrap_up_seconds', 'max_wait_seconds', 'max_callers',
  'fallback', 'members',
] as const;

function QueueForm({ session, domain, existing, onDone }: {
  session: Session; domain: string; existing: CallQueue | null; onDone: (message: string | null) => void;
}) {
  const [number, setNumber] = useState(existing?.number ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [strategy, setStrategy] = useState<QueueStrategy>(existing?.strategy ?? 'ring-all');
  const [ring, setRing] = useState(String(existing?.ringTimeoutSeconds ?? 15));
  const [wrapUp, setWrapUp] = useState(String(existing?.wrapUpSeconds ?? 0));
  const [maxWait, setMaxWait] = useState(String(existing?.maxWaitSeconds ?? 300));
  const [maxCallers, setMaxCallers] = useState(String(existing?.maxCallers ?? 20));
  const [fallback, setFallback] = useState(existing?.fallback ?? 'hangup');
  const [members, setMembers] = useState(existing?.members.join(', ') ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const prefix = existing ? 'queue-edit' : 'queue';

  async function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!existing && number.trim() === '') local.number = 'Enter the queue number.';
    const numbers = { ring_timeout_seconds: ring, wrap_up_seconds: wrapUp, max_wait_seconds: maxWait, max_callers: maxCallers };
    for (const [field, value] of Object.entries(numbers)) {
      if (Number.isNaN(wholeNumber(value))) local[field] = 'Enter a whole number.';
    }
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    const input = {
      name, strategy, fallback, members: parseMembers(members),
      ringTimeoutSeconds: wholeNumber(ring), wrapUpSeconds: wholeNumber(wrapUp),
      maxWaitSeconds: wholeNumber(maxWait), maxCallers: wholeNumber(maxCallers),
    };
    setBusy(true);
    try {
      if (existing) {
        await changeCallQueue(session, domain, existing.number, input);
        onDone(`Queue ${existing.number} was changed.`);
      } else {
        await createCallQueue(session, domain, number, input);
        onDone(`Queue ${number.trim()} was created.`);
        setNumber('');
        setName('');
        setMembers('');
      }
    } catch (caught) {
      const split = splitApiError(caught, FIELDS);
      setErrors(split.fields);
      setFormError(split.form);
    } finally {
      setBusy(false);
    }
  }

  const input = (id: string, value: string, set: (v: string) => void, extra: Record<string, string> = {}) =>
    (describedBy: string | undefined, invalid: boolean) => (
      <input id={id} autocomplete="off" value={value} onInput={(e) => set(e.currentTarget.value)}
        aria-describedby={describedBy} aria-invalid={invalid || undefined} {...extra} />
    );
  const title = existing ? `Change queue ${existing.number}` : 'New call queue';

  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {!existing && (
        <Field id={`${prefix}-number`} label="Number" error={errors.number} hint="2 to 15 digits, not yet used by an extension, group or room.">
          {input(`${prefix}-number`, number, setNumber, { inputMode: 'numeric' })}
        </Field>
      )}
      <Field id={`${prefix}-name`} label="Name" error={errors.name}>
        {input(`${prefix}-name`, name, setName)}
      </Field>
      <Field id={`${prefix}-strategy`} label="Ring" error={errors.strategy}>
        {(describedBy, invalid) => (
          <select id={`${prefix}-strategy`} value={strategy} onChange={(e) => setStrategy(e.currentTarget.value as QueueStrategy)}
            aria-describedby={describedBy} aria-invalid={invalid || undefined}>
            {QUEUE_STRATEGIES.map((s) => <option key={s} value={s}>{STRATEGY_LABELS[s]}</option>)}
          </select>
        )}
      </Field>
      <Field id={`${prefix}-ring`} label="Ring time (seconds)" error={errors.ring_timeout_seconds} hint="5 to 300, per try.">
        {input(`${prefix}-ring`, ring, setRing, { inputMode: 'numeric' })}
      </Field>
      <Field id={`${prefix}-wrap`} label="Wrap-up (seconds)" error={errors.wrap_up_seconds} hint="0 to 600: rest after a call.">
        {input(`${prefix}-wrap`, wrapUp, setWrapUp, { inputMode: 'numeric' })}
      </Field>
      <Field id={`${prefix}-wait`} label="Longest wait (seconds)" error={errors.max_wait_seconds} hint="0 for no limit, at most 86400.">
        {input(`${prefix}-wait`, maxWait, setMaxWait, { inputMode: 'numeric' })}
      </Field>
      <Field id={`${prefix}-callers`} label="Most callers waiting" error={errors.max_callers} hint="0 for no cap, at most 10000.">
        {input(`${prefix}-callers`, maxCallers, setMaxCallers, { inputMode: 'numeric' })}
      </Field>
      <Field id={`${prefix}-members`} label="Members" error={errors.members} hint="Extension numbers in ringing order, e.g. 1001, 1002.">
        {input(`${prefix}-members`, members, setMembers)}
      </Field>
      <Field id={`${prefix}-fallback`} label="When the wait ends" error={errors.fallback} hint="hangup, voicemail:1001 or a number.">
        {input(`${prefix}-fallback`, fallback, setFallback)}
      </Field>
      {formError && <p class="error" role="alert">{formError}</p>}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Saving…' : existing ? 'Save queue' : 'Create call queue'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}

// A tenant's ring groups: list, create (members in hunt order, strategy, ring time, where an
// unanswered call goes), change the members, delete. Problem documents that name a field show
// their message beside that input.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { splitApiError } from '../../lib/admin';
import {
  createRingGroup, deleteRingGroup, listRingGroups, parseMembers, setRingGroupMembers,
  type RingGroup, type RingStrategy,
} from '../../lib/call_features';
import { Field } from './field';

interface Props {
  session: Session;
  domain: string;
}

export function RingGroupsPage({ session, domain }: Props) {
  const [groups, setGroups] = useState<RingGroup[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  function load() {
    setLoadError(null);
    listRingGroups(domain).then(setGroups).catch((caught: Error) => setLoadError(caught.message));
  }
  useEffect(load, [domain]);

  return (
    <section aria-labelledby="ring-groups-heading">
      <h2 id="ring-groups-heading">Ring groups of {domain}</h2>
      {created && (
        <p class="notice" role="status">
          Ring group {created} was created.{' '}
          <button type="button" class="link" onClick={() => setCreated(null)}>Dismiss</button>
        </p>
      )}
      {loadError && <p class="error" role="alert">The ring groups could not be loaded: {loadError}</p>}
      {!loadError && groups === null && <p class="muted">Loading…</p>}
      {groups && groups.length === 0 && <p class="muted">No ring groups yet.</p>}
      {groups && groups.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Ring groups</caption>
          <thead>
            <tr>
              <th scope="col">Number</th><th scope="col">Name</th><th scope="col">Strategy</th>
              <th scope="col">Members</th><th scope="col">If nobody answers</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((group) => (
              <RingGroupRow key={group.number} session={session} domain={domain} group={group} onChanged={load} />
            ))}
          </tbody>
        </table>
      )}
      <NewRingGroupForm session={session} domain={domain}
        onCreated={(number) => { setCreated(number); load(); }} />
    </section>
  );
}

function RingGroupRow({ session, domain, group, onChanged }: {
  session: Session; domain: string; group: RingGroup; onChanged: () => void;
}) {
  const [mode, setMode] = useState<'view' | 'edit' | 'confirm-delete'>('view');
  const [members, setMembers] = useState(group.members.join(', '));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = `members-${group.number}`;

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setMode('view');
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The change failed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <tr>
      <th scope="row">{group.number}</th>
      <td>{group.name || <span class="muted">—</span>}</td>
      <td>{group.strategy === 'hunt' ? 'One after another' : 'All at once'}, {group.memberTimeoutSeconds} s</td>
      <td>
        {mode === 'edit' ? (
          <form class="inline-form" aria-label={`Members of ring group ${group.number}`} noValidate
            onSubmit={(e) => { e.preventDefault(); void run(() => setRingGroupMembers(session, domain, group.number, parseMembers(members))); }}>
            <label class="visually-hidden" for={inputId}>Members of {group.number}</label>
            <input id={inputId} value={members} onInput={(e) => setMembers(e.currentTarget.value)}
              aria-invalid={error ? true : undefined} aria-describedby={error ? `${inputId}-error` : undefined} />
            <button type="submit" class="primary" disabled={busy}>Save</button>
            <button type="button" onClick={() => { setMode('view'); setMembers(group.members.join(', ')); setError(null); }}>
              Cancel
            </button>
          </form>
        ) : (
          group.members.join(', ') || <span class="muted">none</span>
        )}
        {error && <p id={`${inputId}-error`} class="field-error" role="alert">{error}</p>}
      </td>
      <td>{group.finalDestination === 'hangup' ? 'Hang up' : group.finalDestination}</td>
      <td class="actions">
        {mode === 'view' && (
          <>
            <button type="button" onClick={() => setMode('edit')} aria-label={`Edit members of ${group.number}`}>Edit members</button>
            <button type="button" onClick={() => setMode('confirm-delete')} aria-label={`Delete ring group ${group.number}`}>Delete</button>
          </>
        )}
        {mode === 'confirm-delete' && (
          <span role="group" aria-label={`Confirm deleting ring group ${group.number}`}>
            <span class="muted">Delete ring group {group.number}?</span>{' '}
            <button type="button" class="danger" disabled={busy} aria-label={`Yes, delete ring group ${group.number}`}
              onClick={() => void run(() => deleteRingGroup(session, domain, group.number))}>Yes, delete</button>
            <button type="button" onClick={() => setMode('view')}>Keep</button>
          </span>
        )}
      </td>
    </tr>
  );
}

const FIELDS = ['number', 'name', 'strategy', 'member_timeout_seconds', 'members', 'final_destination'] as const;

function NewRingGroupForm({ session, domain, onCreated }: {
  session: Session; domain: string; onCreated: (number: string) => void;
}) {
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [strategy, setStrategy] = useState<RingStrategy>('ring-all');
  const [timeout, setTimeoutText] = useState('15');
  const [members, setMembers] = useState('');
  const [finalDestination, setFinalDestination] = useState('hangup');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (number.trim() === '') local.number = 'Enter the ring group number.';
    const seconds = timeout.trim() === '' ? null : Number(timeout);
    if (seconds !== null && !Number.isInteger(seconds)) local.member_timeout_seconds = 'Enter whole seconds, 5 to 600.';
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await createRingGroup(session, domain, {
        number, name, strategy, memberTimeoutSeconds: seconds, members: parseMembers(members), finalDestination,
      });
      onCreated(number.trim());
      setNumber('');
      setName('');
      setMembers('');
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

  return (
    <form class="card admin-form" onSubmit={submit} aria-label="New ring group" noValidate>
      <h3>New ring group</h3>
      <Field id="group-number" label="Number" error={errors.number} hint="2 to 15 digits, not an extension's number.">
        {input('group-number', number, setNumber, { inputMode: 'numeric' })}
      </Field>
      <Field id="group-name" label="Name" error={errors.name}>
        {input('group-name', name, setName)}
      </Field>
      <Field id="group-strategy" label="Ring" error={errors.strategy}>
        {(describedBy, invalid) => (
          <select id="group-strategy" value={strategy} onChange={(e) => setStrategy(e.currentTarget.value as RingStrategy)}
            aria-describedby={describedBy} aria-invalid={invalid || undefined}>
            <option value="ring-all">All members at once</option>
            <option value="hunt">One member after another</option>
          </select>
        )}
      </Field>
      <Field id="group-timeout" label="Ring time (seconds)" error={errors.member_timeout_seconds} hint="5 to 600; per member when one after another.">
        {input('group-timeout', timeout, setTimeoutText, { inputMode: 'numeric' })}
      </Field>
      <Field id="group-members" label="Members" error={errors.members} hint="Extension numbers in ringing order, e.g. 1001, 1002.">
        {input('group-members', members, setMembers)}
      </Field>
      <Field id="group-final" label="If nobody answers" error={errors.final_destination}
        hint="hangup, a number, voicemail:1001 or +49….">
        {input('group-final', finalDestination, setFinalDestination)}
      </Field>
      {formError && <p class="error" role="alert">{formError}</p>}
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create ring group'}</button>
    </form>
  );
}

// A tenant's conference rooms: list, create (number, name, optional PIN, participant cap),
// delete. The PIN is write-only: the list says only whether a room has one. Problem documents
// that name a field show their message beside that input.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { splitApiError } from '../../lib/admin';
import {
  createConferenceRoom, deleteConferenceRoom, listConferenceRooms, wholeNumber, type ConferenceRoom,
} from '../../lib/rooms_queues';
import { Field } from './field';

interface Props {
  session: Session;
  domain: string;
}

export function ConferenceRoomsPage({ session, domain }: Props) {
  const [rooms, setRooms] = useState<ConferenceRoom[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);

  function load() {
    setLoadError(null);
    listConferenceRooms(domain).then(setRooms).catch((caught: Error) => setLoadError(caught.message));
  }
  useEffect(load, [domain]);

  return (
    <section aria-labelledby="rooms-heading">
      <h2 id="rooms-heading">Conference rooms of {domain}</h2>
      {created && (
        <p class="notice" role="status">
          Conference room {created} was created.{' '}
          <button type="button" class="link" onClick={() => setCreated(null)}>Dismiss</button>
        </p>
      )}
      {loadError && <p class="error" role="alert">The conference rooms could not be loaded: {loadError}</p>}
      {!loadError && rooms === null && <p class="muted">Loading…</p>}
      {rooms && rooms.length === 0 && <p class="muted">No conference rooms yet.</p>}
      {rooms && rooms.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Conference rooms</caption>
          <thead>
            <tr>
              <th scope="col">Number</th><th scope="col">Name</th><th scope="col">PIN</th>
              <th scope="col">Participants</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rooms.map((room) => (
              <RoomRow key={room.number} session={session} domain={domain} room={room} onChanged={load} />
            ))}
          </tbody>
        </table>
      )}
      <NewRoomForm session={session} domain={domain} onCreated={(number) => { setCreated(number); load(); }} />
    </section>
  );
}

function RoomRow({ session, domain, room, onChanged }: {
  session: Session; domain: string; room: ConferenceRoom; onChanged: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await deleteConferenceRoom(session, domain, room.number);
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The room could not be deleted.');
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <tr>
      <th scope="row">{room.number}</th>
      <td>{room.name || <span class="muted">—</span>}</td>
      <td>{room.hasPin ? 'Required' : 'None'}</td>
      <td>up to {room.maxParticipants}</td>
      <td class="actions">
        {!confirming && (
          <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete conference room ${room.number}`}>Delete</button>
        )}
        {confirming && (
          <span role="group" aria-label={`Confirm deleting conference room ${room.number}`}>
            <span class="muted">Delete room {room.number}?</span>{' '}
            <button type="button" class="danger" disabled={busy} aria-label={`Yes, delete conference room ${room.number}`}
              onClick={() => void remove()}>Yes, delete</button>
            <button type="button" onClick={() => setConfirming(false)}>Keep</button>
          </span>
        )}
        {error && <p class="field-error" role="alert">{error}</p>}
      </td>
    </tr>
  );
}

const FIELDS = ['number', 'name', 'pin', 'max_participants'] as const;

function NewRoomForm({ session, domain, onCreated }: {
  session: Session; domain: string; onCreated: (number: string) => void;
}) {
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [cap, setCap] = useState('50');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (number.trim() === '') local.number = 'Enter the room number.';
    if (pin.trim() !== '' && !/^\d{4,8}$/.test(pin.trim())) local.pin = 'A PIN is 4 to 8 digits, or leave it empty.';
    const participants = wholeNumber(cap);
    if (Number.isNaN(participants)) local.max_participants = 'Enter a whole number, 2 to 128.';
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      await createConferenceRoom(session, domain, { number, name, pin, maxParticipants: participants });
      onCreated(number.trim());
      setNumber('');
      setName('');
      setPin('');
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
    <form class="card admin-form" onSubmit={submit} aria-label="New conference room" noValidate>
      <h3>New conference room</h3>
      <Field id="room-number" label="Number" error={errors.number} hint="2 to 15 digits, not yet used by an extension, group or queue.">
        {input('room-number', number, setNumber, { inputMode: 'numeric' })}
      </Field>
      <Field id="room-name" label="Name" error={errors.name}>
        {input('room-name', name, setName)}
      </Field>
      <Field id="room-pin" label="PIN" error={errors.pin} hint="4 to 8 digits callers key in; empty for none.">
        {input('room-pin', pin, setPin, { inputMode: 'numeric' })}
      </Field>
      <Field id="room-cap" label="Most participants" error={errors.max_participants} hint="2 to 128.">
        {input('room-cap', cap, setCap, { inputMode: 'numeric' })}
      </Field>
      {formError && <p class="error" role="alert">{formError}</p>}
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create conference room'}</button>
    </form>
  );
}

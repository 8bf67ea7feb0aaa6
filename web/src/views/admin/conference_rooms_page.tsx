// A tenant's conference rooms: list, create (number, name, optional PIN and moderator PIN,
// participant cap), change in place (one request the server applies whole or not at all; the
// next caller meets the new PIN), delete. PINs are write-only: the list says only whether a room
// has them, and the change form keeps a PIN left empty. Problem documents that name a field show
// their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import {
  changeConferenceRoom, conferenceRoomChangeProblems, conferenceRoomProblems, createConferenceRoom,
  deleteConferenceRoom, listConferenceRooms, wholeNumber, type ConferenceRoom,
} from '../../lib/rooms_queues';
import { FormError, TextField, useFormState } from './form_state';
import { ResourcePage, wholeList } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function ConferenceRoomsPage({ session, domain }: Props) {
  return (
    <ResourcePage<ConferenceRoom>
      headingId="rooms-heading" heading={`Conference rooms of ${domain}`} caption="Conference rooms"
      plural="conference rooms" load={() => wholeList(listConferenceRooms(domain))} keyOf={(room) => room.number}
      columns={[
        { header: 'Number', cell: (room) => room.number },
        { header: 'Name', cell: (room) => room.name || <span class="muted">—</span> },
        { header: 'PIN', cell: (room) => (room.hasPin ? 'Required' : 'None') },
        { header: 'Moderator PIN', cell: (room) => (room.hasModeratorPin ? 'Set' : 'None') },
        { header: 'Participants', cell: (room) => `up to ${room.maxParticipants}` },
      ]}
      change={{ button: 'Change', label: (room) => `Change room ${room.number}` }}
      deleteName={(room) => `conference room ${room.number}`}
      deleteQuestion={(room) => `Delete room ${room.number}?`}
      remove={(room) => deleteConferenceRoom(session, domain, room.number)}
      form={(existing, done) => (existing
        ? <ChangeRoomForm session={session} domain={domain} room={existing} onDone={done} />
        : <NewRoomForm session={session} domain={domain} onCreated={done} />)}
    />
  );
}

const FIELDS = ['number', 'name', 'pin', 'moderator_pin', 'max_participants'] as const;

function NewRoomForm({ session, domain, onCreated }: {
  session: Session; domain: string; onCreated: (notice: string) => void;
}) {
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [pin, setPin] = useState('');
  const [moderatorPin, setModeratorPin] = useState('');
  const [cap, setCap] = useState('50');
  const form = useFormState(FIELDS);

  function submit(event: Event) {
    event.preventDefault();
    const local = conferenceRoomProblems({ number, pin, moderatorPin, cap });
    const participants = wholeNumber(cap);
    void form.submit(local, async () => {
      await createConferenceRoom(session, domain, { number, name, pin, moderatorPin, maxParticipants: participants });
      onCreated(`Conference room ${number.trim()} was created.`);
      setNumber('');
      setName('');
      setPin('');
      setModeratorPin('');
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label="New conference room" noValidate>
      <h3>New conference room</h3>
      <TextField id="room-number" label="Number" value={number} onValue={setNumber} numeric error={form.errors.number}
        hint="2 to 15 digits, not yet used by an extension, group or queue." />
      <TextField id="room-name" label="Name" value={name} onValue={setName} error={form.errors.name} />
      <TextField id="room-pin" label="PIN" value={pin} onValue={setPin} numeric error={form.errors.pin}
        hint="4 to 8 digits callers key in; empty for none." />
      <TextField id="room-moderator-pin" label="Moderator PIN" value={moderatorPin} onValue={setModeratorPin} numeric
        error={form.errors.moderator_pin}
        hint="4 to 8 digits, unlike the PIN: who keys it in may mute and remove others; empty for none." />
      <TextField id="room-cap" label="Most participants" value={cap} onValue={setCap} numeric
        error={form.errors.max_participants} hint="2 to 128." />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>{form.busy ? 'Creating…' : 'Create conference room'}</button>
    </form>
  );
}

function ChangeRoomForm({ session, domain, room, onDone }: {
  session: Session; domain: string; room: ConferenceRoom; onDone: (notice: string | null) => void;
}) {
  const [name, setName] = useState(room.name);
  const [pin, setPin] = useState('');
  const [removePin, setRemovePin] = useState(false);
  const [moderatorPin, setModeratorPin] = useState('');
  const [removeModeratorPin, setRemoveModeratorPin] = useState(false);
  const [cap, setCap] = useState(String(room.maxParticipants));
  const form = useFormState(FIELDS);
  const title = `Change room ${room.number}`;

  function submit(event: Event) {
    event.preventDefault();
    const local = conferenceRoomChangeProblems({ pin, removePin, moderatorPin, removeModeratorPin, cap });
    void form.submit(local, async () => {
      await changeConferenceRoom(session, domain, room.number, {
        name, pin, removePin, moderatorPin, removeModeratorPin, maxParticipants: wholeNumber(cap),
      });
      onDone(`Conference room ${room.number} was changed.`);
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      <TextField id="room-edit-name" label="Name" value={name} onValue={setName} error={form.errors.name} />
      <TextField id="room-edit-pin" label="New PIN" value={pin} onValue={setPin} numeric error={form.errors.pin}
        hint={room.hasPin ? '4 to 8 digits; empty keeps the current PIN.' : '4 to 8 digits; empty keeps the room open.'} />
      {room.hasPin && (
        <label class="checkbox">
          <input type="checkbox" checked={removePin} onChange={(e) => setRemovePin(e.currentTarget.checked)} />
          Remove the PIN (anyone may join)
        </label>
      )}
      <TextField id="room-edit-moderator-pin" label="New moderator PIN" value={moderatorPin} onValue={setModeratorPin}
        numeric error={form.errors.moderator_pin}
        hint={room.hasModeratorPin ? '4 to 8 digits, unlike the PIN; empty keeps the current one.'
          : '4 to 8 digits, unlike the PIN; empty: no moderator.'} />
      {room.hasModeratorPin && (
        <label class="checkbox">
          <input type="checkbox" checked={removeModeratorPin}
            onChange={(e) => setRemoveModeratorPin(e.currentTarget.checked)} />
          Remove the moderator PIN
        </label>
      )}
      <TextField id="room-edit-cap" label="Most participants" value={cap} onValue={setCap} numeric
        error={form.errors.max_participants} hint="2 to 128; callers already in the room stay." />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>{form.busy ? 'Saving…' : 'Save room'}</button>
      <button type="button" onClick={() => onDone(null)}>Cancel</button>
    </form>
  );
}

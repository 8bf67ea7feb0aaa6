// A tenant's conference rooms: list, create (number, name, optional PIN and moderator PIN,
// participant cap), delete. PINs are write-only: the list says only whether a room has them. Problem documents
// that name a field show their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import {
  conferenceRoomProblems, createConferenceRoom, deleteConferenceRoom, listConferenceRooms, wholeNumber,
  type ConferenceRoom,
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
      deleteName={(room) => `conference room ${room.number}`}
      deleteQuestion={(room) => `Delete room ${room.number}?`}
      remove={(room) => deleteConferenceRoom(session, domain, room.number)}
      form={(_existing, done) => <NewRoomForm session={session} domain={domain} onCreated={done} />}
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

// A tenant's voicemail boxes (one per extension): on or off, message limit, PIN reset, counts;
// a box's messages newest first, each played in an <audio> element (byte ranges with the
// session cookie), downloaded, or deleted. The PIN is write-only: the list says only whether a
// box has one.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { formatDateTime } from '../../lib/admin';
import {
  changeVoicemailBox, deleteVoicemailMessage, listVoicemailBoxes, listVoicemailMessages, type VoicemailBox,
  type VoicemailMessage,
} from '../../lib/ivr_voicemail';
import { formatDuration, wholeNumber } from '../../lib/rooms_queues';
import { FormError, TextField, useFormState } from './form_state';
import { ResourcePage } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function VoicemailPage({ session, domain }: Props) {
  return (
    <ResourcePage<VoicemailBox>
      headingId="voicemail-heading" heading={`Voicemail boxes of ${domain}`} caption="Voicemail boxes"
      plural="voicemail boxes" emptyText="No extensions, so no voicemail boxes yet."
      load={(cursor) => listVoicemailBoxes(domain, cursor)} moreText="More boxes" keyOf={(box) => box.box}
      columns={[
        { header: 'Box', cell: (box) => box.box },
        { header: 'Name', cell: (box) => box.displayName || <span class="muted">—</span> },
        { header: 'State', cell: (box) => (box.enabled ? 'On' : 'Off') },
        { header: 'PIN', cell: (box) => (box.hasPin ? 'Set' : 'None') },
        { header: 'Messages', cell: (box) => `${box.newMessages} new, ${box.savedMessages} saved (at most ${box.maxMessages})` },
      ]}
      detailButton={{ button: 'Messages', label: (box) => `Messages of box ${box.box}` }}
      detail={(box, close) => <Messages key={box.box} session={session} domain={domain} box={box.box} close={close} />}
      change={{ button: 'Settings', label: (box) => `Settings of box ${box.box}` }}
      form={(existing, done) => existing && <BoxForm session={session} domain={domain} box={existing} onDone={done} />}
    />
  );
}

const FIELDS = ['enabled', 'max_messages', 'pin'] as const;

function BoxForm({ session, domain, box, onDone }: {
  session: Session; domain: string; box: VoicemailBox; onDone: (notice: string | null) => void;
}) {
  const [enabled, setEnabled] = useState(box.enabled);
  const [limit, setLimit] = useState(String(box.maxMessages));
  const [pin, setPin] = useState('');
  const [removePin, setRemovePin] = useState(false);
  const form = useFormState(FIELDS);

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    const maxMessages = wholeNumber(limit);
    if (maxMessages === null || Number.isNaN(maxMessages)) local.max_messages = 'Enter a whole number, 1 to 10000.';
    if (!removePin && pin !== '' && !/^\d{4,12}$/.test(pin)) local.pin = 'A PIN is 4 to 12 digits.';
    void form.submit(local, async () => {
      const change: { enabled: boolean; maxMessages: number; pin?: string } = { enabled, maxMessages: maxMessages ?? 0 };
      if (removePin) change.pin = '';
      else if (pin !== '') change.pin = pin;
      await changeVoicemailBox(session, domain, box.box, change);
      onDone(`Voicemail box ${box.box} was changed.`);
    });
  }

  const title = `Settings of voicemail box ${box.box}`;
  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      <label class="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        Callers may leave messages
      </label>
      <TextField id="box-limit" label="Most messages kept" value={limit} onValue={setLimit} numeric
        error={form.errors.max_messages} hint="1 to 10000." />
      <TextField id="box-pin" label="New PIN" value={pin} onValue={setPin} numeric type="password" autocomplete="new-password"
        error={form.errors.pin} hint="4 to 12 digits for the voicemail menu (*97); empty keeps the current one." />
      <label class="checkbox">
        <input type="checkbox" checked={removePin} onChange={(e) => setRemovePin(e.currentTarget.checked)} />
        Remove the PIN
      </label>
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>{form.busy ? 'Saving…' : 'Save box'}</button>
      <button type="button" onClick={() => onDone(null)}>Cancel</button>
    </form>
  );
}

/** A box's messages: Play puts an <audio controls> in the row; Download saves the WAV. */
export function Messages({ session, domain, box, close }: {
  session: Session; domain: string; box: string; close?: () => void;
}) {
  const [messages, setMessages] = useState<VoicemailMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [playing, setPlaying] = useState<number | null>(null);

  function load() {
    setError(null);
    listVoicemailMessages(domain, box).then(setMessages).catch((caught: Error) => setError(caught.message));
  }
  useEffect(load, [domain, box]);

  async function remove(id: number) {
    try {
      await deleteVoicemailMessage(session, domain, box, id);
      load();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The message could not be deleted.');
    }
  }

  return (
    <section class="card" aria-labelledby={`messages-${box}`}>
      <h3 id={`messages-${box}`}>Messages in box {box}</h3>
      {close && <button type="button" onClick={close}>Close</button>}
      {error && <p class="error" role="alert">{error}</p>}
      {!error && messages === null && <p class="muted">Loading…</p>}
      {messages && messages.length === 0 && <p class="muted">No messages.</p>}
      {messages && messages.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Messages in box {box}</caption>
          <thead>
            <tr><th scope="col">Received</th><th scope="col">From</th><th scope="col">Length</th><th scope="col">State</th><th scope="col">Listen</th></tr>
          </thead>
          <tbody>
            {messages.map((message) => (
              <tr key={message.id}>
                <th scope="row">{formatDateTime(new Date(message.receivedMs))}</th>
                <td>{message.caller || <span class="muted">unknown</span>}</td>
                <td>{formatDuration(message.durationMs)}</td>
                <td>{message.state === 'new' ? 'New' : 'Saved'}</td>
                <td class="actions">
                  {playing === message.id ? (
                    <audio controls autoPlay preload="metadata" src={message.audioUrl}
                      aria-label={`Voicemail message ${message.id} from ${message.caller}`} />
                  ) : (
                    <button type="button" onClick={() => setPlaying(message.id)} aria-label={`Play message ${message.id}`}>Play</button>
                  )}
                  <a href={message.audioUrl} download={`voicemail-${box}-${message.id}.wav`}
                    aria-label={`Download message ${message.id}`}>Download</a>
                  <button type="button" class="danger" onClick={() => void remove(message.id)}
                    aria-label={`Delete message ${message.id}`}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

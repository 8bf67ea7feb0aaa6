import { useEffect, useState } from 'preact/hooks';
import type { OwnPresence, PresenceClient } from '../phone/presence';
import { OWN_STATE_TEXT, type OwnState } from '../phone/presence_doc';

interface Props {
  client: PresenceClient;
  own: OwnPresence;
}

/** The user's own presence: a state and an optional note, published when changed. */
export function PresencePicker({ client, own }: Props) {
  const [note, setNote] = useState(own.note);
  useEffect(() => setNote(own.note), [own.note]);
  return (
    <form
      class="presence-picker"
      aria-label="Presence"
      onSubmit={(e) => {
        e.preventDefault();
        client.choose(own.state, note);
      }}
    >
      <span class={`presence-dot ${own.state}`} aria-hidden="true" />
      <label for="own-presence" class="visually-hidden">Your status</label>
      <select
        id="own-presence"
        value={own.state}
        onChange={(e) => client.choose(e.currentTarget.value as OwnState, note)}
      >
        {(Object.keys(OWN_STATE_TEXT) as OwnState[]).map((state) => (
          <option key={state} value={state}>{OWN_STATE_TEXT[state]}</option>
        ))}
      </select>
      <label for="own-note" class="visually-hidden">Status note</label>
      <input
        id="own-note"
        placeholder="What are you up to?"
        maxLength={200}
        value={note}
        onInput={(e) => setNote(e.currentTarget.value)}
        onBlur={() => {
          if (note !== own.note) client.choose(own.state, note);
        }}
      />
    </form>
  );
}

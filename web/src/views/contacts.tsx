import type { Contact } from '../lib/call_records';
import { CONTACT_STATE_TEXT, type ContactPresence } from '../phone/presence_doc';

interface Props {
  contacts: Contact[] | null;
  error: string | null;
  self: string;
  canCall: boolean;
  onCall: (extension: string) => void;
  /** Live presence per extension (presence.ts); a contact not in it shows nothing yet. */
  presence?: Record<string, ContactPresence>;
}

export function Contacts({ contacts, error, self, canCall, onCall, presence }: Props) {
  if (error) return <p class="error" role="alert">Contacts could not be loaded: {error}</p>;
  if (contacts === null) return <p class="muted">Loading contacts…</p>;
  const others = contacts.filter((c) => c.extension !== self);
  if (others.length === 0) return <p class="muted">No other extensions in your organisation yet.</p>;
  return (
    <ul class="contacts" aria-label="Contacts">
      {others.map((contact) => {
        const name = contact.displayName || contact.extension;
        const live = presence?.[contact.extension];
        const said = live && CONTACT_STATE_TEXT[live.state] + (live.note ? ` · ${live.note}` : '');
        return (
          <li key={contact.extension}>
            <span class="who">
              <span class="name">
                {live && <span class={`presence-dot ${live.state}`} aria-hidden="true" title={said} />}
                {name}
              </span>
              <span class="ext">{contact.extension}</span>
              {live && (
                // The label carries the state too: where it replaces the text, the state stays.
                <span class="presence" data-state={live.state} aria-label={`Status of ${name}: ${said}`}>
                  {CONTACT_STATE_TEXT[live.state]}
                  {live.note && <span class="presence-note"> · {live.note}</span>}
                </span>
              )}
            </span>
            <button
              type="button"
              class="call"
              aria-label={`Call ${name} (${contact.extension})`}
              disabled={!canCall}
              onClick={() => onCall(contact.extension)}
            >
              Call
            </button>
          </li>
        );
      })}
    </ul>
  );
}

import type { Contact } from '../lib/call_records';

interface Props {
  contacts: Contact[] | null;
  error: string | null;
  self: string;
  canCall: boolean;
  onCall: (extension: string) => void;
}

export function Contacts({ contacts, error, self, canCall, onCall }: Props) {
  if (error) return <p class="error" role="alert">Contacts could not be loaded: {error}</p>;
  if (contacts === null) return <p class="muted">Loading contacts…</p>;
  const others = contacts.filter((c) => c.extension !== self);
  if (others.length === 0) return <p class="muted">No other extensions in your organisation yet.</p>;
  return (
    <ul class="contacts" aria-label="Contacts">
      {others.map((contact) => {
        const name = contact.displayName || contact.extension;
        return (
          <li key={contact.extension}>
            <span class="who">
              <span class="name">{name}</span>
              <span class="ext">{contact.extension}</span>
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

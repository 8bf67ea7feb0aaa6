// PIDF (RFC 3863) as the web client needs it: reading the documents Parley's NOTIFYs carry
// (sip/presence.cpp builds them; decision 0025 describes the fields) and writing the one it
// PUBLISHes for its own user. Pure string work, so that it runs in Vitest's Node environment too.

/** What a contact shows, combined by the server from DND, calls, registrations and the user's choice. */
export type ContactState = 'available' | 'away' | 'busy' | 'dnd' | 'on-the-phone' | 'ringing' | 'offline';

/** What a user may choose for themselves. */
export type OwnState = 'available' | 'away' | 'busy' | 'offline';

export interface ContactPresence {
  state: ContactState;
  /** The state in words, as the server wrote it ("Away", "On the phone"). */
  label: string;
  /** The user's own words, or "". */
  note: string;
}

export const CONTACT_STATE_TEXT: Record<ContactState, string> = {
  available: 'Available',
  away: 'Away',
  busy: 'Busy',
  dnd: 'Do not disturb',
  'on-the-phone': 'On the phone',
  ringing: 'Ringing',
  offline: 'Offline',
};

export const OWN_STATE_TEXT: Record<OwnState, string> = {
  available: 'Available',
  away: 'Away',
  busy: 'Busy',
  offline: 'Appear offline',
};

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[name] ?? '';
  });
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function element(xml: string, local: string): string | null {
  const match = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w.-]+:)?${local}>`).exec(xml);
  return match ? match[1] : null;
}

/** The presence in a NOTIFY's PIDF body, or null when it is not one. */
export function readPidf(xml: string): ContactPresence | null {
  const basic = element(xml, 'basic')?.trim();
  if (basic !== 'open' && basic !== 'closed') return null;
  const tuple = element(xml, 'tuple') ?? '';
  const tupleNote = element(tuple, 'note');
  const person = element(xml, 'person');
  const personNote = person === null ? null : element(person, 'note');
  const has = (activity: string) => person !== null && new RegExp(`<(?:[\\w.-]+:)?${activity}\\s*/>`).test(person);
  // With a note of the user's own, the tuple carries it and the person element the words.
  const label = decode((personNote ?? tupleNote ?? '').trim());
  const note = personNote !== null ? decode((tupleNote ?? '').trim()) : '';
  let state: ContactState;
  if (basic === 'closed') state = label === 'Do not disturb' ? 'dnd' : 'offline';
  else if (has('on-the-phone')) state = 'on-the-phone';
  else if (label === 'Ringing') state = 'ringing';
  else if (has('away')) state = 'away';
  else if (has('busy')) state = 'busy';
  else state = 'available';
  return { state, label: label || CONTACT_STATE_TEXT[state], note };
}

/** The PIDF document that says `state` (and `note`) for `entity` ("sip:1001@example.com"). */
export function buildPidf(entity: string, state: OwnState, note: string): string {
  const activity = state === 'away' || state === 'busy' ? `<rpid:activities><rpid:${state}/></rpid:activities>` : '';
  const words = note.trim();
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"' +
    ` xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${escape(entity)}">` +
    `<tuple id="web"><status><basic>${state === 'offline' ? 'closed' : 'open'}</basic></status></tuple>` +
    (activity || words
      ? `<dm:person id="user">${activity}${words ? `<dm:note>${escape(words)}</dm:note>` : ''}</dm:person>`
      : '') +
    '</presence>'
  );
}

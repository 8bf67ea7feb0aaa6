import { useCallback, useEffect, useState } from 'preact/hooks';
import type { SignedIn } from '../app';
import { domainOf, parseDialTarget } from '../lib/address';
import { callRecords, directory, signOut } from '../lib/api';
import type { CallRecord, Contact } from '../lib/call_records';
import { Phone, type PhoneState } from '../phone/phone';
import { CallPanel, IncomingCall } from './call_panel';
import { Contacts } from './contacts';
import { Devices } from './devices';
import { DialPad } from './dial_pad';
import { History } from './history';
import { ChatView } from '../chat/chat_view';
import { totalUnread } from '../chat/chat_state';
import { useChat } from '../chat/use_chat';
import { usePresence } from '../phone/use_presence';
import { PresencePicker } from './presence_picker';
import { DndSwitch, ForwardingSettings, useCallFeatures } from './call_settings';
import { NotificationsButton, useNotifications } from './notifications_button';

type Tab = 'contacts' | 'keypad' | 'history' | 'chat';

const REGISTRATION_TEXT: Record<PhoneState['registration'], string> = {
  connecting: 'Connecting…',
  registered: 'Ready',
  failed: 'Not connected',
  stopped: 'Signed out',
};

interface Props {
  signedIn: SignedIn;
  onSignedOut: () => void;
}

export function PhoneScreen({ signedIn, onSignedOut }: Props) {
  const { session, password } = signedIn;
  const domain = domainOf(session.username) ?? session.tenant;
  const extension = session.extension || session.username.split('@')[0];
  const [phone] = useState(() => new Phone({ extension, domain, password }));
  const [state, setState] = useState<PhoneState>(phone.snapshot);
  const [tab, setTab] = useState<Tab>('contacts');
  const [chat, chatState] = useChat(extension, session.csrfToken);
  const unread = totalUnread(chatState);
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  const [contactsError, setContactsError] = useState<string | null>(null);
  const [records, setRecords] = useState<CallRecord[] | null>(null);
  const [recordsError, setRecordsError] = useState<string | null>(null);
  const [number, setNumber] = useState('');
  const watched = contacts?.map((c) => c.extension).filter((e) => e !== extension) ?? null;
  const [presenceClient, presence] = usePresence(phone, extension, domain, watched);
  const [dialError, setDialError] = useState<string | null>(null);
  const callFeatures = useCallFeatures(domain, extension);
  useNotifications(chat, extension, state);

  useEffect(() => {
    const unsubscribe = phone.subscribe(setState);
    phone.start();
    return () => {
      unsubscribe();
      phone.stop();
    };
  }, [phone]);

  useEffect(() => {
    directory()
      .then((list) => setContacts(list))
      .catch((error: Error) => setContactsError(error.message));
  }, []);

  const loadHistory = useCallback(() => {
    setRecordsError(null);
    callRecords()
      .then(setRecords)
      .catch((error: Error) => setRecordsError(error.message));
  }, []);
  // Reload the history whenever a call ends (and when the tab is opened).
  const inCall = state.call !== null || state.heldCall !== null;
  useEffect(() => {
    if (tab === 'history' && !inCall) loadHistory();
  }, [tab, inCall]);

  function dial(text: string) {
    const target = parseDialTarget(text, domain);
    if (!target.ok) {
      setDialError(target.error);
      return;
    }
    setDialError(null);
    void phone.call(target.value);
  }

  async function leave() {
    phone.stop();
    await signOut(session).catch(() => undefined);
    onSignedOut();
  }

  const canCall = state.registration === 'registered' && !inCall;
  const call = state.call;
  return (
    <div class="phone">
      <header>
        <div>
          <h1>Parley</h1>
          <p class="me">
            {extension}@{domain} ·{' '}
            <span class={`registration ${state.registration}`} role="status" aria-label="Phone status">
              {REGISTRATION_TEXT[state.registration]}
            </span>
          </p>
        </div>
        <PresencePicker client={presenceClient} own={presence.own} />
        <DndSwitch session={session} domain={domain} extension={extension} state={callFeatures} />
        <NotificationsButton />
        <button type="button" onClick={() => void leave()}>Sign out</button>
      </header>
      {state.problem && <p class="error banner" role="alert">{state.problem}</p>}
      {state.notice && (
        <p class="notice" role="alert">
          {state.notice}{' '}
          <button type="button" class="link" aria-label="Dismiss message" onClick={() => phone.dismissNotice()}>
            Dismiss
          </button>
        </p>
      )}
      {call?.phase === 'ringing' && <IncomingCall call={call} phone={phone} />}
      <div class="columns">
        <div class="main-column">
          <nav class="tabs" role="tablist" aria-label="Views">
            {(['contacts', 'keypad', 'history', 'chat'] as Tab[]).map((t) => (
              <button type="button" role="tab" key={t} aria-selected={tab === t} onClick={() => setTab(t)}>
                {t === 'contacts' ? 'Contacts' : t === 'keypad' ? 'Keypad' : t === 'history' ? 'History' : 'Chat'}
                {t === 'chat' && unread > 0 && <span class="badge"><span class="visually-hidden">, </span>{unread}<span class="visually-hidden"> unread</span></span>}
              </button>
            ))}
          </nav>
          <div role="tabpanel">
            {tab === 'contacts' && (
              <Contacts contacts={contacts} error={contactsError} self={extension} canCall={canCall} onCall={dial}
                presence={presence.contacts} />
            )}
            {tab === 'keypad' && (
              <form class="dialer" aria-label="Dial a number" onSubmit={(e) => { e.preventDefault(); dial(number); }}>
                <label for="number">Number or extension</label>
                <input id="number" inputMode="tel" autocomplete="off" value={number}
                  onInput={(e) => setNumber(e.currentTarget.value)} />
                <DialPad label="Dial" onKey={(key) => setNumber(number + key)} />
                <div class="row">
                  <button type="button" aria-label="Delete last digit" onClick={() => setNumber(number.slice(0, -1))}>
                    ⌫
                  </button>
                  <button type="submit" class="answer" disabled={!canCall} aria-label="Call number">
                    Call
                  </button>
                </div>
                {dialError && <p class="error" role="alert">{dialError}</p>}
              </form>
            )}
            {tab === 'history' && <History records={records} error={recordsError} onRefresh={loadHistory} />}
            {tab === 'chat' && <ChatView client={chat} state={chatState} contacts={contacts} canCall={canCall} onCall={dial} />}
          </div>
        </div>
        <aside class="side-column">
          {call && call.phase !== 'ringing' && (
            <CallPanel call={call} heldCall={state.heldCall} transfer={state.transfer} phone={phone} domain={domain} />
          )}
          <Devices phone={phone} refreshKey={inCall} />
          <ForwardingSettings session={session} domain={domain} extension={extension} state={callFeatures} />
        </aside>
      </div>
    </div>
  );
}

// The chat view of the softphone: group rooms and direct conversations with unread badges, a new
// room form, message search, one conversation's messages (paged back on demand) with edit and
// delete of my own, the composer with file attachments, read receipts, typing notices, and a call
// button for direct conversations. Message bodies and file names are text nodes: nothing from a
// message is ever parsed as HTML.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact } from '../lib/call_records';
import type { ChatClient } from './chat_client';
import {
  canChange,
  conversationTitle,
  formatSize,
  memberNames,
  peerOf,
  readBy,
  readTarget,
  roomNameProblem,
  typingIn,
  type ChatMessage,
  type ChatState,
  type Conversation,
} from './chat_state';
import './chat.css';

interface Props {
  client: ChatClient;
  state: ChatState;
  contacts: Contact[] | null;
  canCall: boolean;
  onCall: (extension: string) => void;
}

function namesOf(contacts: Contact[] | null): Record<string, string> {
  const names: Record<string, string> = {};
  for (const contact of contacts ?? []) if (contact.displayName) names[contact.extension] = contact.displayName;
  return names;
}

export function ChatView({ client, state, contacts, canCall, onCall }: Props) {
  const [selected, setSelected] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const names = namesOf(contacts);
  const open = state.conversations.find((c) => c.id === selected) ?? null;

  async function startWith(extension: string) {
    setProblem(null);
    try {
      const conversation = await client.openDirect(extension);
      if (conversation) setSelected(conversation.id);
    } catch (error) {
      setProblem((error as Error).message);
    }
  }

  const others = (contacts ?? []).filter((c) => c.extension !== state.me);
  const rooms = state.conversations.filter((c) => c.kind === 'channel');
  const direct = state.conversations.filter((c) => c.kind !== 'channel');
  const connected = state.connection === 'open';
  return (
    <section class="chat" aria-label="Chat">
      {state.problem && <p class="error" role="alert">Chat: {state.problem}</p>}
      {state.connection === 'closed' && !state.problem && (
        <p class="muted" role="status">Chat disconnected; reconnecting…</p>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
      <div class="chat-columns">
        <div class="chat-list">
          <SearchBox client={client} state={state} names={names} connected={connected} onOpen={setSelected} />
          <h2>Rooms</h2>
          {rooms.length === 0 && <p class="muted">No rooms yet.</p>}
          <ConversationList label="Rooms" list={rooms} state={state} names={names} selected={selected} onSelect={setSelected} />
          <NewRoom client={client} others={others} connected={connected} onCreated={setSelected} />
          <h2>Conversations</h2>
          {direct.length === 0 && <p class="muted">No conversations yet.</p>}
          <ConversationList label="Conversations" list={direct} state={state} names={names} selected={selected} onSelect={setSelected} />
          {others.length > 0 && (
            <>
              <h2>Start a conversation</h2>
              <ul class="conversations" aria-label="Start a conversation">
                {others.map((contact) => {
                  const name = contact.displayName || contact.extension;
                  return (
                    <li key={contact.extension}>
                      <button type="button" aria-label={`Chat with ${name} (${contact.extension})`}
                        disabled={!connected} onClick={() => void startWith(contact.extension)}>
                        {name} <span class="ext">{contact.extension}</span>
                      </button>
                    </li>
                  );
                })}
              </ul>
            </>
          )}
        </div>
        {open ? (
          <ConversationPane key={open.id} client={client} state={state} conversation={open} names={names}
            canCall={canCall} onCall={onCall} />
        ) : (
          <p class="muted chat-empty">Choose a conversation.</p>
        )}
      </div>
    </section>
  );
}

interface ListProps {
  label: string;
  list: Conversation[];
  state: ChatState;
  names: Record<string, string>;
  selected: number | null;
  onSelect: (id: number) => void;
}

function ConversationList({ label, list, state, names, selected, onSelect }: ListProps) {
  if (list.length === 0) return null;
  return (
    <ul class="conversations" aria-label={label}>
      {list.map((c) => {
        const title = conversationTitle(c, state.me, names);
        return (
          <li key={c.id}>
            <button type="button" aria-current={c.id === selected ? 'true' : undefined}
              aria-label={c.unread > 0 ? `${title}, ${c.unread} unread` : title}
              onClick={() => onSelect(c.id)}>
              <span class="title">{title}</span>
              {c.unread > 0 && <span class="badge" aria-hidden="true">{c.unread}</span>}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

interface NewRoomProps {
  client: ChatClient;
  others: Contact[];
  connected: boolean;
  onCreated: (id: number) => void;
}

/** A group room: a name and members picked from the contacts (I am always in it). */
function NewRoom({ client, others, connected, onCreated }: NewRoomProps) {
  const [opened, setOpened] = useState(false);
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!opened) {
    return (
      <button type="button" class="link" disabled={!connected} onClick={() => setOpened(true)}>
        New room
      </button>
    );
  }

  async function create(e: Event) {
    e.preventDefault();
    const invalid = roomNameProblem(name);
    if (invalid) {
      setProblem(invalid);
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      const room = await client.createChannel(name.trim(), members);
      setOpened(false);
      setName('');
      setMembers([]);
      if (room) onCreated(room.id);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (extension: string, on: boolean) =>
    setMembers((list) => (on ? [...list.filter((x) => x !== extension), extension] : list.filter((x) => x !== extension)));
  return (
    <form class="new-room" aria-label="New room" onSubmit={(e) => void create(e)}>
      <label for="new-room-name">Room name</label>
      <input id="new-room-name" type="text" maxLength={80} value={name} autoComplete="off"
        onInput={(e) => setName(e.currentTarget.value)} />
      {others.length > 0 && (
        <fieldset>
          <legend>Members</legend>
          {others.map((contact) => (
            <label key={contact.extension} class="check">
              <input type="checkbox" checked={members.includes(contact.extension)}
                onChange={(e) => toggle(contact.extension, e.currentTarget.checked)} />
              {contact.displayName || contact.extension} <span class="ext">{contact.extension}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div class="row">
        <button type="submit" class="primary" disabled={busy || !connected}>Create room</button>
        <button type="button" onClick={() => setOpened(false)}>Cancel</button>
      </div>
      {problem && <p class="error" role="alert">{problem}</p>}
    </form>
  );
}

interface SearchProps {
  client: ChatClient;
  state: ChatState;
  names: Record<string, string>;
  connected: boolean;
  onOpen: (conversation: number) => void;
}

/** Searches every conversation I am in; a result opens its conversation. */
function SearchBox({ client, state, names, connected, onOpen }: SearchProps) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<ChatMessage[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function search(e: Event) {
    e.preventDefault();
    if (query.trim() === '') {
      setResults(null);
      return;
    }
    setProblem(null);
    try {
      setResults(await client.search(query.trim()));
    } catch (error) {
      setProblem((error as Error).message);
    }
  }

  const titleOf = (id: number) => {
    const conversation = state.conversations.find((c) => c.id === id);
    return conversation ? conversationTitle(conversation, state.me, names) : `Conversation ${id}`;
  };
  return (
    <div class="chat-search">
      <form role="search" aria-label="Search messages" onSubmit={(e) => void search(e)} class="row">
        <label for="chat-search" class="visually-hidden">Search messages</label>
        <input id="chat-search" type="search" placeholder="Search messages" maxLength={200} value={query}
          onInput={(e) => setQuery(e.currentTarget.value)} />
        <button type="submit" disabled={!connected}>Search</button>
      </form>
      {problem && <p class="error" role="alert">{problem}</p>}
      {results !== null && (
        <>
          <p class="muted" role="status" aria-label="Search results count">
            {results.length === 0 ? 'No messages found.' : `${results.length} found`}
          </p>
          <ul class="search-results" aria-label="Search results">
            {results.map((m) => (
              <li key={m.id}>
                <button type="button" onClick={() => onOpen(m.conversation)}>
                  <span class="meta">{titleOf(m.conversation)} · {m.sender === state.me ? 'You' : names[m.sender] || m.sender}</span>
                  <span class="body">{m.body}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

interface PaneProps {
  client: ChatClient;
  state: ChatState;
  conversation: Conversation;
  names: Record<string, string>;
  canCall: boolean;
  onCall: (extension: string) => void;
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function useVisible(): boolean {
  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return visible;
}

function ConversationPane({ client, state, conversation, names, canCall, onCall }: PaneProps) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const now = useNow(1000);
  const visible = useVisible();
  const id = conversation.id;
  const messages = state.messages[id];
  const title = conversationTitle(conversation, state.me, names);
  const peer = peerOf(conversation, state.me);

  useEffect(() => {
    if (messages === undefined && state.connection === 'open') {
      client.loadHistory(id).catch((error: Error) => setProblem(error.message));
    }
  }, [id, messages === undefined, state.connection]);

  // Read receipts: mark read only while this conversation is on screen and the page visible.
  const target = readTarget(state, id);
  useEffect(() => {
    if (target !== null && visible && messages !== undefined && state.connection === 'open') {
      client.markRead(id, target).catch(() => undefined);
    }
  }, [id, target, visible, messages !== undefined, state.connection]);

  async function send(e: Event) {
    e.preventDefault();
    const body = draft.trim();
    if (!body) return;
    setProblem(null);
    try {
      await client.post(id, draft);
      setDraft('');
    } catch (error) {
      setProblem((error as Error).message);
    }
  }

  async function attach() {
    const file = fileInput.current?.files?.[0];
    if (!file) return;
    setProblem(null);
    setProgress(0);
    try {
      await client.upload(id, file, setProgress);
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setProgress(null);
      if (fileInput.current) fileInput.current.value = '';
    }
  }

  const list = messages ?? [];
  const mine = list.filter((m) => m.sender === state.me && !m.deleted);
  const lastMine = mine.length > 0 ? mine[mine.length - 1] : null;
  const seenBy = lastMine ? readBy(conversation, state.me, lastMine.id) : [];
  const typist = typingIn(state, id, now);
  return (
    <div class="chat-pane">
      <div class="row chat-head">
        <h2>{title}</h2>
        {peer && (
          <button type="button" class="call" disabled={!canCall} aria-label={`Call ${title}`} onClick={() => onCall(peer)}>
            Call
          </button>
        )}
      </div>
      {conversation.kind === 'channel' && (
        <p class="muted room-members" aria-label="Room members">
          Members: {memberNames(conversation, state.me, names).join(', ')}
        </p>
      )}
      {state.moreBefore[id] && (
        <button type="button" class="link" onClick={() => client.loadHistory(id).catch((error: Error) => setProblem(error.message))}>
          Load earlier messages
        </button>
      )}
      {messages === undefined ? (
        <p class="muted">Loading messages…</p>
      ) : (
        <ol class="messages" aria-label="Messages">
          {list.map((m) => (
            <ChangeableMessage key={m.id} message={m} me={state.me} names={names} client={client}
              connected={state.connection === 'open'} />
          ))}
        </ol>
      )}
      {lastMine && seenBy.length > 0 && (
        <p class="receipt" role="status" aria-label="Read receipt">
          Seen by {seenBy.join(', ')}
        </p>
      )}
      <p class="typing" role="status" aria-label="Typing">
        {typist ? `${names[typist] || typist} is typing…` : ''}
      </p>
      <form class="composer" aria-label="Write a message" onSubmit={(e) => void send(e)}>
        <label for={`draft-${id}`} class="visually-hidden">Message</label>
        <textarea id={`draft-${id}`} rows={2} maxLength={16384} value={draft} placeholder="Write a message"
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            client.typing(id);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) void send(e);
          }} />
        <div class="row">
          <label class="attach">
            Attach a file
            <input ref={fileInput} type="file" class="visually-hidden" disabled={progress !== null}
              onChange={() => void attach()} />
          </label>
          <button type="submit" class="primary" disabled={draft.trim() === '' || state.connection !== 'open'}>Send</button>
        </div>
        {progress !== null && (
          <progress aria-label="Upload progress" max={1} value={progress} />
        )}
        {problem && <p class="error" role="alert">{problem}</p>}
      </form>
    </div>
  );
}

interface ChangeableProps {
  message: ChatMessage;
  me: string;
  names: Record<string, string>;
  client: ChatClient;
  connected: boolean;
}

/** A message with Edit and Delete for my own (the server refuses them on others' anyway). */
function ChangeableMessage({ message, me, names, client, connected }: ChangeableProps) {
  const [mode, setMode] = useState<'show' | 'edit' | 'delete'>('show');
  const [draft, setDraft] = useState(message.body);
  const [problem, setProblem] = useState<string | null>(null);
  if (!canChange(message, me)) return <MessageItem message={message} me={me} names={names} />;

  async function act(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
      setMode('show');
    } catch (error) {
      setProblem((error as Error).message);
    }
  }

  function save(e: Event) {
    e.preventDefault();
    if (draft.trim() === '') return;
    if (draft === message.body) {
      setMode('show');
      return;
    }
    void act(() => client.edit(message.id, draft));
  }

  const editor =
    mode === 'edit' ? (
      <form class="edit" aria-label="Edit message" onSubmit={save}>
        <label for={`edit-${message.id}`} class="visually-hidden">Edited message</label>
        <textarea id={`edit-${message.id}`} rows={2} maxLength={16384} value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) save(e);
            if (e.key === 'Escape') setMode('show');
          }} />
        <div class="row">
          <button type="submit" class="primary" disabled={draft.trim() === '' || !connected}>Save</button>
          <button type="button" onClick={() => setMode('show')}>Cancel</button>
        </div>
      </form>
    ) : undefined;
  const after = (
    <>
      {mode === 'show' && (
        <div class="actions">
          <button type="button" class="link" disabled={!connected} onClick={() => {
            setDraft(message.body);
            setMode('edit');
          }}>Edit</button>
          <button type="button" class="link" disabled={!connected} onClick={() => setMode('delete')}>Delete</button>
        </div>
      )}
      {mode === 'delete' && (
        <div class="actions" role="group" aria-label="Delete this message?">
          <span>Delete this message?</span>
          <button type="button" class="danger" disabled={!connected} onClick={() => void act(() => client.remove(message.id))}>
            Yes, delete
          </button>
          <button type="button" onClick={() => setMode('show')}>Keep</button>
        </div>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
    </>
  );
  return <MessageItem message={message} me={me} names={names} editor={editor} after={after} />;
}

interface ItemProps {
  message: ChatMessage;
  me: string;
  names: Record<string, string>;
  /** Shown instead of the body (the edit form). */
  editor?: ComponentChildren;
  /** Shown after the attachments (edit and delete controls). */
  after?: ComponentChildren;
}

/** One message, without state of its own (unit-tested by calling it). */
export function MessageItem({ message, me, names, editor, after }: ItemProps) {
  const time = message.createdAt > 0 ? new Date(message.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  const who = message.sender === me ? 'You' : names[message.sender] || message.sender;
  return (
    <li class={message.sender === me ? 'mine' : 'theirs'}>
      <span class="meta">
        {who} {time && <time dateTime={new Date(message.createdAt).toISOString()}>{time}</time>}
        {message.editedAt !== null && !message.deleted && ' (edited)'}
      </span>
      {message.deleted ? (
        <p class="body muted">Message deleted</p>
      ) : (
        editor ?? <p class="body">{message.body}</p>
      )}
      {message.attachments.map((a) => (
        <a key={a.id} class="attachment" href={a.url} download={a.name}>
          {a.name} ({formatSize(a.size)})
        </a>
      ))}
      {after}
    </li>
  );
}

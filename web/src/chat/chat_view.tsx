// The chat view of the softphone: conversations with unread badges, one conversation's messages
// (paged back on demand), the composer with file attachments, read receipts, typing notices,
// and a call button for direct conversations. Message bodies and file names are text nodes:
// nothing from a message is ever parsed as HTML.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact } from '../lib/call_records';
import type { ChatClient } from './chat_client';
import {
  conversationTitle,
  formatSize,
  peerOf,
  readBy,
  readTarget,
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
  return (
    <section class="chat" aria-label="Chat">
      {state.problem && <p class="error" role="alert">Chat: {state.problem}</p>}
      {state.connection === 'closed' && !state.problem && (
        <p class="muted" role="status">Chat disconnected; reconnecting…</p>
      )}
      {problem && <p class="error" role="alert">{problem}</p>}
      <div class="chat-columns">
        <div class="chat-list">
          <h2>Conversations</h2>
          {state.conversations.length === 0 && <p class="muted">No conversations yet.</p>}
          <ul class="conversations" aria-label="Conversations">
            {state.conversations.map((c) => {
              const title = conversationTitle(c, state.me, names);
              return (
                <li key={c.id}>
                  <button type="button" aria-current={c.id === selected ? 'true' : undefined}
                    aria-label={c.unread > 0 ? `${title}, ${c.unread} unread` : title}
                    onClick={() => setSelected(c.id)}>
                    <span class="title">{title}</span>
                    {c.unread > 0 && <span class="badge" aria-hidden="true">{c.unread}</span>}
                  </button>
                </li>
              );
            })}
          </ul>
          {others.length > 0 && (
            <>
              <h2>Start a conversation</h2>
              <ul class="conversations" aria-label="Start a conversation">
                {others.map((contact) => {
                  const name = contact.displayName || contact.extension;
                  return (
                    <li key={contact.extension}>
                      <button type="button" aria-label={`Chat with ${name} (${contact.extension})`}
                        disabled={state.connection !== 'open'} onClick={() => void startWith(contact.extension)}>
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
            <MessageItem key={m.id} message={m} me={state.me} names={names} />
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

export function MessageItem({ message, me, names }: { message: ChatMessage; me: string; names: Record<string, string> }) {
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
        <p class="body">{message.body}</p>
      )}
      {message.attachments.map((a) => (
        <a key={a.id} class="attachment" href={a.url} download={a.name}>
          {a.name} ({formatSize(a.size)})
        </a>
      ))}
    </li>
  );
}

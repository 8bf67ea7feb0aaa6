// The chat's state as pure data and the pure functions that change it: everything the chat view
// shows comes from here, so it is unit-tested in Node (tests/unit/chat_state.test.ts) without a
// browser or a server. The wire format is docs/chat-protocol.md; every field the server sends
// is read defensively (a malformed event changes nothing rather than throwing).

export interface Attachment {
  id: number;
  name: string;
  contentType: string;
  size: number;
  url: string;
}

export interface ChatMessage {
  id: number;
  conversation: number;
  sender: string;
  /** Plain text: rendered as a text node, never as HTML. */
  body: string;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
  attachments: Attachment[];
}

export interface Member {
  extension: string;
  lastRead: number;
}

export interface Conversation {
  id: number;
  kind: 'direct' | 'channel';
  name: string;
  members: Member[];
  /** My read marker. */
  lastRead: number;
  lastMessageId: number;
  unread: number;
}

export interface Typing {
  extension: string;
  at: number;
}

export interface ChatState {
  me: string;
  connection: 'connecting' | 'open' | 'closed';
  conversations: Conversation[];
  /** Loaded messages per conversation id, oldest first, no duplicates. */
  messages: Record<number, ChatMessage[]>;
  /** Whether older messages than the loaded ones may exist (history paging). */
  moreBefore: Record<number, boolean>;
  typing: Record<number, Typing>;
  problem: string | null;
}

/** How long a typing notice shows without a new one. */
export const TYPING_SHOWN_MS = 4000;

export function initialChatState(me: string): ChatState {
  return { me, connection: 'connecting', conversations: [], messages: {}, moreBefore: {}, typing: {}, problem: null };
}

// --- reading the wire ----------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}
function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function readAttachment(value: unknown): Attachment | null {
  if (!isObject(value)) return null;
  const id = num(value.id);
  const url = str(value.url);
  // Only our own API's download path: a link elsewhere would be a way out of the app.
  if (id === null || url === null || !url.startsWith('/api/v1/chat/')) return null;
  return {
    id,
    name: str(value.name) ?? 'attachment',
    contentType: str(value.content_type) ?? 'application/octet-stream',
    size: num(value.size) ?? 0,
    url,
  };
}

export function readMessage(value: unknown): ChatMessage | null {
  if (!isObject(value)) return null;
  const id = num(value.id);
  const conversation = num(value.conversation);
  const sender = str(value.sender);
  const body = str(value.body);
  if (id === null || id <= 0 || conversation === null || sender === null || body === null) return null;
  const attachments = Array.isArray(value.attachments)
    ? value.attachments.map(readAttachment).filter((a): a is Attachment => a !== null)
    : [];
  return {
    id,
    conversation,
    sender,
    body,
    createdAt: num(value.created_at) ?? 0,
    editedAt: num(value.edited_at),
    deleted: value.deleted === true,
    attachments,
  };
}

function readMembers(value: unknown): Member[] {
  if (!Array.isArray(value)) return [];
  const members: Member[] = [];
  for (const item of value) {
    if (!isObject(item)) continue;
    const extension = str(item.extension);
    if (extension !== null) members.push({ extension, lastRead: num(item.last_read) ?? 0 });
  }
  return members;
}

/** A conversation from the welcome or `conversations` (with unread counts) or a `conversation` object. */
export function readConversation(value: unknown, me: string): Conversation | null {
  if (!isObject(value)) return null;
  const id = num(value.id);
  if (id === null || id <= 0) return null;
  const members = readMembers(value.members);
  const mine = members.find((m) => m.extension === me);
  return {
    id,
    kind: value.kind === 'channel' ? 'channel' : 'direct',
    name: str(value.name) ?? '',
    members,
    lastRead: num(value.last_read) ?? mine?.lastRead ?? 0,
    lastMessageId: num(value.last_message_id) ?? 0,
    unread: Math.max(0, num(value.unread) ?? 0),
  };
}

export type ChatEvent =
  | { type: 'welcome'; conversations: Conversation[] }
  | { type: 'conversations'; conversations: Conversation[] }
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'message' | 'edited' | 'deleted'; message: ChatMessage }
  | { type: 'history'; conversation: number; messages: ChatMessage[]; limit: number; before: number | null }
  | { type: 'read'; conversation: number; extension: string; message: number }
  | { type: 'typing'; conversation: number; extension: string; at: number }
  | { type: 'removed'; conversation: number }
  | { type: 'connection'; connection: ChatState['connection']; problem?: string | null };

/**
 * A server push (no request id) as an event for reduce(), or null for anything else
 * (replies, presence, malformed text).
 */
export function readServerEvent(text: string, me: string, now: number): ChatEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  const type = value.type;
  switch (type) {
    case 'welcome':
      return { type: 'welcome', conversations: readConversations(value.conversations, me) };
    case 'conversation': {
      const conversation = readConversation(value.conversation, me);
      return conversation ? { type: 'conversation', conversation } : null;
    }
    case 'message':
    case 'edited':
    case 'deleted': {
      const message = readMessage(value.message);
      return message ? { type: type as 'message' | 'edited' | 'deleted', message } : null;
    }
    case 'read': {
      const conversation = num(value.conversation);
      const extension = str(value.extension);
      const message = num(value.message);
      return conversation !== null && extension !== null && message !== null
        ? { type: 'read', conversation, extension, message }
        : null;
    }
    case 'typing': {
      const conversation = num(value.conversation);
      const extension = str(value.extension);
      return conversation !== null && extension !== null ? { type: 'typing', conversation, extension, at: now } : null;
    }
    case 'removed': {
      const conversation = num(value.conversation);
      return conversation !== null ? { type: 'removed', conversation } : null;
    }
    default:
      return null;
  }
}

export function readConversations(value: unknown, me: string): Conversation[] {
  if (!Array.isArray(value)) return [];
  return value.map((c) => readConversation(c, me)).filter((c): c is Conversation => c !== null);
}

export function readMessages(value: unknown): ChatMessage[] {
  if (!Array.isArray(value)) return [];
  return value.map(readMessage).filter((m): m is ChatMessage => m !== null);
}

// --- changing the state ----------------------------------------------------------------------------

/** Oldest first, one entry per id (a newer copy, e.g. an edit, replaces the older one). */
export function mergeMessages(existing: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const byId = new Map<number, ChatMessage>();
  for (const message of existing) byId.set(message.id, message);
  for (const message of incoming) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function byActivity(a: Conversation, b: Conversation): number {
  return b.lastMessageId - a.lastMessageId || b.id - a.id;
}

function upsert(list: Conversation[], conversation: Conversation): Conversation[] {
  const others = list.filter((c) => c.id !== conversation.id);
  return [...others, conversation].sort(byActivity);
}

function updateConversation(state: ChatState, id: number, change: (c: Conversation) => Conversation): ChatState {
  const found = state.conversations.find((c) => c.id === id);
  if (!found) return state;
  return { ...state, conversations: upsert(state.conversations, change(found)) };
}

export function reduce(state: ChatState, event: ChatEvent): ChatState {
  switch (event.type) {
    case 'connection':
      return { ...state, connection: event.connection, problem: event.problem ?? null };
    case 'welcome':
    case 'conversations': {
      // Keep the members a `conversation` event told us of when a list has none.
      const known = new Map(state.conversations.map((c) => [c.id, c]));
      const conversations = event.conversations
        .map((c) => (c.members.length === 0 && known.has(c.id) ? { ...c, members: known.get(c.id)!.members } : c))
        .sort(byActivity);
      return { ...state, connection: 'open', problem: null, conversations };
    }
    case 'conversation': {
      const old = state.conversations.find((c) => c.id === event.conversation.id);
      const merged = old
        ? { ...event.conversation, lastRead: old.lastRead, lastMessageId: old.lastMessageId, unread: old.unread }
        : event.conversation;
      return { ...state, conversations: upsert(state.conversations, merged) };
    }
    case 'removed': {
      const messages = { ...state.messages };
      delete messages[event.conversation];
      return { ...state, conversations: state.conversations.filter((c) => c.id !== event.conversation), messages };
    }
    case 'message': {
      const message = event.message;
      const loaded = state.messages[message.conversation];
      const isNew = !(loaded ?? []).some((m) => m.id === message.id);
      const next: ChatState = loaded
        ? { ...state, messages: { ...state.messages, [message.conversation]: mergeMessages(loaded, [message]) } }
        : state;
      const typing = { ...next.typing };
      if (typing[message.conversation]?.extension === message.sender) delete typing[message.conversation];
      return updateConversation({ ...next, typing }, message.conversation, (c) => ({
        ...c,
        lastMessageId: Math.max(c.lastMessageId, message.id),
        unread:
          isNew && message.sender !== state.me && message.id > c.lastRead && message.id > c.lastMessageId
            ? c.unread + 1
            : c.unread,
      }));
    }
    case 'edited':
    case 'deleted': {
      const message = event.message;
      const loaded = state.messages[message.conversation];
      if (!loaded) return state;
      return { ...state, messages: { ...state.messages, [message.conversation]: mergeMessages(loaded, [message]) } };
    }
    case 'history': {
      const loaded = state.messages[event.conversation] ?? [];
      return {
        ...state,
        messages: { ...state.messages, [event.conversation]: mergeMessages(loaded, event.messages) },
        // A short page is the last one; a full page may have more before it.
        moreBefore: { ...state.moreBefore, [event.conversation]: event.messages.length >= event.limit },
      };
    }
    case 'read':
      return updateConversation(state, event.conversation, (c) => {
        const members = c.members.some((m) => m.extension === event.extension)
          ? c.members.map((m) =>
              m.extension === event.extension ? { ...m, lastRead: Math.max(m.lastRead, event.message) } : m,
            )
          : [...c.members, { extension: event.extension, lastRead: event.message }];
        if (event.extension !== state.me) return { ...c, members };
        // My own marker moved (this device, or another of mine).
        const lastRead = Math.max(c.lastRead, event.message);
        const unread = lastRead >= c.lastMessageId ? 0 : countUnread(state, c.id, lastRead, c.unread);
        return { ...c, members, lastRead, unread };
      });
    case 'typing':
      if (event.extension === state.me) return state;
      return { ...state, typing: { ...state.typing, [event.conversation]: { extension: event.extension, at: event.at } } };
  }
}

// Unread after `marker` from what is loaded; falls back to the server's count when nothing is.
function countUnread(state: ChatState, conversation: number, marker: number, fallback: number): number {
  const loaded = state.messages[conversation];
  if (!loaded) return fallback;
  return loaded.filter((m) => m.id > marker && m.sender !== state.me && !m.deleted).length;
}

// --- reading the state for the view --------------------------------------------------------------

export function totalUnread(state: ChatState): number {
  return state.conversations.reduce((sum, c) => sum + c.unread, 0);
}

/** The other member of a direct conversation (null for channels or when unknown). */
export function peerOf(conversation: Conversation, me: string): string | null {
  if (conversation.kind !== 'direct') return null;
  return conversation.members.find((m) => m.extension !== me)?.extension ?? null;
}

export function conversationTitle(conversation: Conversation, me: string, names: Record<string, string> = {}): string {
  if (conversation.kind === 'channel') return `#${conversation.name}`;
  const peer = peerOf(conversation, me);
  if (!peer) return `Conversation ${conversation.id}`;
  return names[peer] ? `${names[peer]} (${peer})` : peer;
}

/** The message to mark read when the conversation is on screen, or null when nothing is new. */
export function readTarget(state: ChatState, conversation: number): number | null {
  const found = state.conversations.find((c) => c.id === conversation);
  if (!found) return null;
  const newest = Math.max(found.lastMessageId, ...(state.messages[conversation] ?? []).map((m) => m.id));
  return newest > found.lastRead ? newest : null;
}

/** Others who have read up to `message` (my own messages' read receipts). */
export function readBy(conversation: Conversation, me: string, message: number): string[] {
  return conversation.members.filter((m) => m.extension !== me && m.lastRead >= message).map((m) => m.extension);
}

/** Who is typing in `conversation` at `now`, or null. */
export function typingIn(state: ChatState, conversation: number, now: number): string | null {
  const typing = state.typing[conversation];
  return typing && now - typing.at < TYPING_SHOWN_MS ? typing.extension : null;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Only my own messages that are not deleted can be edited or deleted (the server's rule too). */
export function canChange(message: ChatMessage, me: string): boolean {
  return message.sender === me && !message.deleted;
}

/** The members of a room for its header: names where known, me as "you", sorted by extension. */
export function memberNames(conversation: Conversation, me: string, names: Record<string, string> = {}): string[] {
  return [...conversation.members]
    .sort((a, b) => a.extension.localeCompare(b.extension))
    .map((m) => (m.extension === me ? 'you' : names[m.extension] ? `${names[m.extension]} (${m.extension})` : m.extension));
}

/** Room names are 1-80 bytes of UTF-8 (docs/chat-protocol.md); null when `name` is fine. */
export function roomNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'Give the room a name.';
  if (new TextEncoder().encode(trimmed).length > 80) return 'The room name is too long (at most 80 bytes).';
  return null;
}

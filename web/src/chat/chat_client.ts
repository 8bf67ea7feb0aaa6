// The chat connection: one WebSocket to wss://<this server>/chat (signed in by the session
// cookie), requests with ids answered by replies, server pushes folded into ChatState by
// reduce(). Reconnects every few seconds when the connection drops (the welcome then brings the
// unread counts again). Attachments go over HTTPS with upload progress (XMLHttpRequest: fetch
// has no upload progress).

import {
  initialChatState,
  readConversation,
  readConversations,
  readMessage,
  readMessages,
  readServerEvent,
  reduce,
  type ChatEvent,
  type ChatMessage,
  type ChatState,
  type Conversation,
} from './chat_state';

export const HISTORY_PAGE = 50;
export const SEARCH_LIMIT = 50;
const RECONNECT_MS = 3000;
const REQUEST_TIMEOUT_MS = 10_000;
/** At most one typing notice per this long (the server throttles floods). */
const TYPING_EVERY_MS = 3000;

export class ChatRequestError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

interface Pending {
  resolve: (reply: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export function chatUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'http:' ? 'ws' : 'wss'}://${location.host}/chat`;
}

export class ChatClient {
  private state: ChatState;
  private socket: WebSocket | null = null;
  private readonly listeners = new Set<(state: ChatState) => void>();
  private readonly eventListeners = new Set<(event: ChatEvent) => void>();
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private stopped = false;
  private reconnect: ReturnType<typeof setTimeout> | null = null;
  private lastTyping = 0;

  constructor(
    me: string,
    private readonly csrfToken: string,
  ) {
    this.state = initialChatState(me);
  }

  get snapshot(): ChatState {
    return this.state;
  }

  subscribe(listener: (state: ChatState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    this.socket?.close();
    this.socket = null;
  }

  /** Every event as it arrives (after the state took it in): browser notifications watch these. */
  onEvent(listener: (event: ChatEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  private apply(event: ChatEvent): void {
    this.state = reduce(this.state, event);
    for (const listener of this.listeners) listener(this.state);
    for (const listener of this.eventListeners) listener(event);
  }

  private connect(): void {
    const socket = new WebSocket(chatUrl(window.location));
    this.socket = socket;
    this.apply({ type: 'connection', connection: 'connecting' });
    socket.onmessage = (e) => this.received(typeof e.data === 'string' ? e.data : '');
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      for (const [, pending] of this.pending) {
        clearTimeout(pending.timer);
        pending.reject(new ChatRequestError('The chat connection was lost.', 0));
      }
      this.pending.clear();
      this.apply({ type: 'connection', connection: 'closed', problem: this.state.problem });
      if (!this.stopped) this.reconnect = setTimeout(() => this.connect(), RECONNECT_MS);
    };
  }

  private received(text: string): void {
    let parsed: Record<string, unknown> | null = null;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
    } catch {
      return;
    }
    if (!parsed) return;
    const id = parsed.id;
    if (typeof id === 'string' && this.pending.has(id)) {
      const pending = this.pending.get(id)!;
      this.pending.delete(id);
      clearTimeout(pending.timer);
      if (parsed.type === 'ok') pending.resolve(parsed);
      else pending.reject(new ChatRequestError(String(parsed.message ?? 'The chat refused this.'), Number(parsed.code) || 0));
      return;
    }
    if (parsed.type === 'error') {
      // A refusal before or instead of the welcome (401: signed out; 403: not an extension).
      this.apply({ type: 'connection', connection: this.state.connection, problem: String(parsed.message ?? 'Chat error') });
      return;
    }
    const event = readServerEvent(text, this.state.me, Date.now());
    if (!event) return;
    this.apply(event);
    // A message in a conversation we do not know yet (someone opened it with us): fetch the list.
    if (event.type === 'message' && !this.state.conversations.some((c) => c.id === event.message.conversation)) {
      void this.refreshConversations();
    }
  }

  private request(type: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ChatRequestError('The chat is not connected.', 0));
    }
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChatRequestError('The chat did not answer.', 0));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ ...fields, id, type }));
    });
  }

  async refreshConversations(): Promise<void> {
    const reply = await this.request('conversations');
    this.apply({ type: 'conversations', conversations: readConversations(reply.conversations, this.state.me) });
  }

  async openDirect(extension: string): Promise<Conversation | null> {
    const reply = await this.request('open_direct', { extension });
    const conversation = readConversation(reply.conversation, this.state.me);
    if (conversation) this.apply({ type: 'conversation', conversation });
    return conversation;
  }

  /** The page of messages before the oldest loaded one (or the newest page). */
  async loadHistory(conversation: number): Promise<void> {
    const loaded = this.state.messages[conversation] ?? [];
    const before = loaded.length > 0 ? loaded[0].id : null;
    const fields: Record<string, unknown> = { conversation, limit: HISTORY_PAGE };
    if (before !== null) fields.before = before;
    const reply = await this.request('history', fields);
    this.apply({ type: 'history', conversation, messages: readMessages(reply.messages), limit: HISTORY_PAGE, before });
  }

  /** A group room named `name` with `members` (extensions; I am its owner and a member). */
  async createChannel(name: string, members: string[]): Promise<Conversation | null> {
    const reply = await this.request('create_channel', { name, members });
    const conversation = readConversation(reply.conversation, this.state.me);
    if (conversation) this.apply({ type: 'conversation', conversation });
    return conversation;
  }

  /** Changes the text of my own message; the other members get an `edited` event. */
  async edit(message: number, body: string): Promise<ChatMessage | null> {
    const reply = await this.request('edit', { message, body });
    const edited = readMessage(reply.message);
    if (edited) this.apply({ type: 'edited', message: edited });
    return edited;
  }

  /** Deletes my own message (it stays as "deleted" in the conversation). */
  async remove(message: number): Promise<ChatMessage | null> {
    const reply = await this.request('delete', { message });
    const deleted = readMessage(reply.message);
    if (deleted) this.apply({ type: 'deleted', message: deleted });
    return deleted;
  }

  /** Messages of all my conversations matching every word of `query`, newest first. */
  async search(query: string, limit = SEARCH_LIMIT): Promise<ChatMessage[]> {
    const reply = await this.request('search', { query, limit });
    return readMessages(reply.messages);
  }

  async post(conversation: number, body: string): Promise<ChatMessage | null> {
    const reply = await this.request('post', { conversation, body });
    const message = readMessage(reply.message);
    if (message) this.apply({ type: 'message', message });
    return message;
  }

  async markRead(conversation: number, message: number): Promise<void> {
    const reply = await this.request('read', { conversation, message });
    const marker = typeof reply.message === 'number' ? reply.message : message;
    this.apply({ type: 'read', conversation, extension: this.state.me, message: marker });
  }

  typing(conversation: number): void {
    const now = Date.now();
    if (now - this.lastTyping < TYPING_EVERY_MS) return;
    this.lastTyping = now;
    this.request('typing', { conversation }).catch(() => undefined);
  }

  /** Uploads `file` into `conversation`; `progress` gets 0..1. Resolves when stored. */
  upload(conversation: number, file: File, progress: (fraction: number) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `/api/v1/chat/conversations/${conversation}/attachments?name=${encodeURIComponent(file.name)}`);
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.setRequestHeader('X-CSRF-Token', this.csrfToken);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable && e.total > 0) progress(e.loaded / e.total);
      };
      xhr.onload = () => {
        if (xhr.status === 201) {
          progress(1);
          resolve();
          return;
        }
        let detail = `The upload failed (HTTP ${xhr.status}).`;
        try {
          const problem = JSON.parse(xhr.responseText) as { detail?: unknown };
          if (typeof problem.detail === 'string') detail = problem.detail;
        } catch {
          // keep the generic sentence
        }
        reject(new ChatRequestError(detail, xhr.status));
      };
      xhr.onerror = () => reject(new ChatRequestError('The upload failed: no connection to the server.', 0));
      xhr.send(file);
    });
  }
}

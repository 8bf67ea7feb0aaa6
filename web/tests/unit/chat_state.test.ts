import { describe, expect, it } from 'vitest';
import { chatUrl } from '../../src/chat/chat_client';
import {
  canChange,
  conversationTitle,
  initialChatState,
  memberNames,
  readConversation,
  roomNameProblem,
  mergeMessages,
  readBy,
  readServerEvent,
  readTarget,
  reduce,
  totalUnread,
  typingIn,
  TYPING_SHOWN_MS,
  type ChatEvent,
  type ChatMessage,
  type ChatState,
} from '../../src/chat/chat_state';
import { MessageItem } from '../../src/chat/chat_view';

const welcome = JSON.stringify({
  type: 'welcome',
  extension: '1001',
  conversations: [
    {
      id: 4, kind: 'direct', name: '', last_read: 17, last_message_id: 19, unread: 2,
      members: [{ extension: '1001', role: 'member', last_read: 17 }, { extension: '1002', role: 'member', last_read: 19 }],
    },
    { id: 7, kind: 'channel', name: 'sales', last_read: 0, last_message_id: 3, unread: 1, members: [] },
  ],
});

function message(id: number, sender: string, body = `m${id}`, conversation = 4): ChatMessage {
  return { id, conversation, sender, body, createdAt: 1, editedAt: null, deleted: false, attachments: [] };
}

function apply(state: ChatState, ...texts: string[]): ChatState {
  for (const text of texts) {
    const event = readServerEvent(text, state.me, 1000);
    if (event) state = reduce(state, event);
  }
  return state;
}

const started = () => apply(initialChatState('1001'), welcome);

describe('welcome and unread counts', () => {
  it('reads conversations, newest activity first, with the server unread counts', () => {
    const state = started();
    expect(state.connection).toBe('open');
    expect(state.conversations.map((c) => c.id)).toEqual([4, 7]);
    expect(totalUnread(state)).toBe(3);
    expect(conversationTitle(state.conversations[0], '1001', { '1002': 'Bob' })).toBe('Bob (1002)');
    expect(conversationTitle(state.conversations[1], '1001')).toBe('#sales');
  });

  it('counts a new message from someone else, not my own, not the same one twice', () => {
    let state = started();
    const event = JSON.stringify({ type: 'message', message: { id: 20, conversation: 4, sender: '1002', body: 'hi', created_at: 5 } });
    state = apply(state, event, event);
    expect(state.conversations.find((c) => c.id === 4)!.unread).toBe(3);
    state = reduce(state, { type: 'message', message: message(21, '1001') });
    expect(state.conversations.find((c) => c.id === 4)!.unread).toBe(3);
    expect(state.conversations[0].lastMessageId).toBe(21);
  });

  it('clears the count when my marker reaches the newest message', () => {
    let state = reduce(started(), { type: 'read', conversation: 4, extension: '1001', message: 19 });
    const direct = state.conversations.find((c) => c.id === 4)!;
    expect(direct.unread).toBe(0);
    expect(direct.lastRead).toBe(19);
    expect(readTarget(state, 4)).toBeNull();
    state = reduce(state, { type: 'message', message: message(22, '1002') });
    expect(readTarget(state, 4)).toBe(22);
  });

  it('ignores malformed events and event types the chat view does not use', () => {
    const state = started();
    for (const text of ['nope', '[]', '{"type":"message","message":{"id":"x"}}', '{"type":"presence","extension":"1002","status":"available"}']) {
      expect(apply(state, text)).toBe(state);
    }
  });
});

describe('messages, history and receipts', () => {
  it('merges pages oldest first without duplicates and replaces edited copies', () => {
    const merged = mergeMessages([message(5, 'a'), message(6, 'b')], [message(4, 'a'), { ...message(6, 'b'), body: 'edited' }]);
    expect(merged.map((m) => m.id)).toEqual([4, 5, 6]);
    expect(merged[2].body).toBe('edited');
  });

  it('pages history: a full page may have more before it, a short one is the last', () => {
    let state = started();
    const page = Array.from({ length: 50 }, (_, i) => message(100 - i, '1002'));
    state = reduce(state, { type: 'history', conversation: 4, messages: page, limit: 50, before: null });
    expect(state.moreBefore[4]).toBe(true);
    expect(state.messages[4][0].id).toBe(51);
    state = reduce(state, { type: 'history', conversation: 4, messages: [message(3, '1002')], limit: 50, before: 51 });
    expect(state.moreBefore[4]).toBe(false);
    expect(state.messages[4].length).toBe(51);
  });

  it('shows who has read my message from the read events', () => {
    let state = started();
    state = reduce(state, { type: 'message', message: message(30, '1001') });
    const direct = () => state.conversations.find((c) => c.id === 4)!;
    expect(readBy(direct(), '1001', 30)).toEqual([]);
    state = apply(state, JSON.stringify({ type: 'read', conversation: 4, extension: '1002', message: 30 }));
    expect(readBy(direct(), '1001', 30)).toEqual(['1002']);
    // A marker never moves back.
    state = reduce(state, { type: 'read', conversation: 4, extension: '1002', message: 12 });
    expect(readBy(direct(), '1001', 30)).toEqual(['1002']);
  });

  it('shows typing for a few seconds, and not once their message arrived', () => {
    let state = apply(started(), JSON.stringify({ type: 'typing', conversation: 4, extension: '1002' }));
    expect(typingIn(state, 4, 1000)).toBe('1002');
    expect(typingIn(state, 4, 1000 + TYPING_SHOWN_MS)).toBeNull();
    state = reduce(state, { type: 'message', message: message(31, '1002') });
    expect(typingIn(state, 4, 1001)).toBeNull();
  });

  it('keeps counts when a conversation event only changes members, and drops removed ones', () => {
    let state = started();
    const event: ChatEvent = {
      type: 'conversation',
      conversation: { id: 7, kind: 'channel', name: 'sales', members: [{ extension: '1003', lastRead: 0 }], lastRead: 0, lastMessageId: 0, unread: 0 },
    };
    state = reduce(state, event);
    expect(state.conversations.find((c) => c.id === 7)!.unread).toBe(1);
    state = apply(state, '{"type":"removed","conversation":7}');
    expect(state.conversations.map((c) => c.id)).toEqual([4]);
  });

  it('keeps only attachment links to the chat API', () => {
    const event = readServerEvent(JSON.stringify({
      type: 'message',
      message: {
        id: 9, conversation: 4, sender: '1002', body: 'plan.pdf', created_at: 1,
        attachments: [
          { id: 1, name: 'plan.pdf', content_type: 'application/pdf', size: 10, url: '/api/v1/chat/messages/9/attachments/1' },
          { id: 2, name: 'x', url: 'https://evil.example/x' },
        ],
      },
    }), '1001', 0);
    expect(event?.type === 'message' && event.message.attachments.map((a) => a.id)).toEqual([1]);
  });

  it('builds the WebSocket URL on this origin', () => {
    expect(chatUrl({ protocol: 'https:', host: 'pbx.example.com:8443' })).toBe('wss://pbx.example.com:8443/chat');
  });
});

describe('markup in a message stays text', () => {
  type Node = { type?: unknown; props?: Record<string, unknown> } | string | number | null | undefined | boolean | Node[];

  function walk(node: Node, visit: (n: Node) => void): void {
    visit(node);
    if (Array.isArray(node)) node.forEach((child) => walk(child, visit));
    else if (node && typeof node === 'object' && node.props) walk(node.props.children as Node, visit);
  }

  it('renders the body as one text child, with no HTML injection anywhere', () => {
    const body = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const tree = MessageItem({ message: message(1, '1002', body), me: '1001', names: {} }) as unknown as Node;
    const texts: string[] = [];
    walk(tree, (n) => {
      if (typeof n === 'string') texts.push(n);
      if (n && typeof n === 'object' && !Array.isArray(n)) {
        expect(n.props?.dangerouslySetInnerHTML).toBeUndefined();
        expect(n.type).not.toBe('script');
      }
    });
    expect(texts).toContain(body);
  });
});

describe('rooms, edit and delete', () => {
  it('offers edit and delete only on my own messages that are not deleted', () => {
    expect(canChange(message(1, '1001'), '1001')).toBe(true);
    expect(canChange(message(2, '1002'), '1001')).toBe(false);
    expect(canChange({ ...message(3, '1001'), deleted: true }, '1001')).toBe(false);
  });

  it('names room members sorted, me as "you", with display names where known', () => {
    const room = readConversation(
      { id: 9, kind: 'channel', name: 'ops', members: [{ extension: '1003' }, { extension: '1001' }, { extension: '1002' }] },
      '1002',
    )!;
    expect(memberNames(room, '1002', { '1003': 'Carol' })).toEqual(['1001', 'you', 'Carol (1003)']);
  });

  it('checks room names as the server does: 1 to 80 bytes', () => {
    expect(roomNameProblem('  ')).toMatch(/name/);
    expect(roomNameProblem('sales')).toBeNull();
    expect(roomNameProblem('é'.repeat(41))).toMatch(/too long/);
    expect(roomNameProblem('é'.repeat(40))).toBeNull();
  });

  it('applies an edit and a delete to the loaded messages, and ignores unloaded rooms', () => {
    let state = reduce(initialChatState('1001'), { type: 'history', conversation: 7, messages: [message(1, '1002', 'old', 7)], limit: 50, before: null });
    state = reduce(state, { type: 'edited', message: { ...message(1, '1002', 'new', 7), editedAt: 5 } });
    expect(state.messages[7][0].body).toBe('new');
    expect(state.messages[7][0].editedAt).toBe(5);
    state = reduce(state, { type: 'deleted', message: { ...message(1, '1002', '', 7), deleted: true } });
    expect(state.messages[7][0].deleted).toBe(true);
    const untouched = reduce(state, { type: 'edited', message: message(2, '1002', 'x', 8) });
    expect(untouched.messages[8]).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { callNotification, chatNotification } from '../../src/lib/notify';
import type { ChatMessage } from '../../src/chat/chat_state';

const message = (fields: Partial<ChatMessage>): ChatMessage => ({
  id: 1, conversation: 4, sender: '1002', body: 'hello', createdAt: 0, editedAt: null, deleted: false, attachments: [],
  ...fields,
});

describe('chatNotification', () => {
  it('announces someone else\'s new message, one notification per conversation', () => {
    expect(chatNotification({ type: 'message', message: message({}) }, '1001'))
      .toEqual({ title: 'Message from 1002', body: 'hello', tag: 'chat-4' });
  });
  it('says nothing of my own messages, edits, deletions or other events', () => {
    expect(chatNotification({ type: 'message', message: message({ sender: '1001' }) }, '1001')).toBeNull();
    expect(chatNotification({ type: 'edited', message: message({}) }, '1001')).toBeNull();
    expect(chatNotification({ type: 'message', message: message({ deleted: true }) }, '1001')).toBeNull();
    expect(chatNotification({ type: 'typing', conversation: 4, extension: '1002' } as never, '1001')).toBeNull();
  });
  it('names attachments when there is no text and keeps the body short', () => {
    const files = [{ id: 1 }, { id: 2 }] as unknown as ChatMessage['attachments'];
    expect(chatNotification({ type: 'message', message: message({ body: '', attachments: files }) }, '1001')?.body)
      .toBe('2 attachments');
    expect(chatNotification({ type: 'message', message: message({ body: 'x'.repeat(500) }) }, '1001')?.body)
      .toHaveLength(200);
  });
});

describe('callNotification', () => {
  it('names the caller', () => {
    expect(callNotification('1002')).toEqual({ title: 'Incoming call from 1002', body: 'Open Parley to answer.', tag: 'incoming-call' });
  });
});

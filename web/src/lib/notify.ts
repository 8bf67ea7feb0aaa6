// Browser notifications (issue 10): a new chat message or an incoming call while the page is
// hidden. Permission is asked only from a user's click (browsers ignore or penalise a prompt
// that comes from nowhere); without it, or while the page is on screen, nothing is shown.
// What to say is decided by pure functions, unit-tested in Node.

import type { ChatEvent } from '../chat/chat_state';

export type NotificationPermissionState = 'default' | 'granted' | 'denied' | 'unsupported';

export function notificationPermission(): NotificationPermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Call from a click handler only. */
export async function askNotificationPermission(): Promise<NotificationPermissionState> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

export interface NotificationText {
  title: string;
  body: string;
  /** Replaces an earlier notification with the same tag (one per conversation, one per call). */
  tag: string;
}

/** A chat event worth a notification: someone else's new message. */
export function chatNotification(event: ChatEvent, me: string): NotificationText | null {
  if (event.type !== 'message' || event.message.sender === me || event.message.deleted) return null;
  const attachments = event.message.attachments.length;
  const body = event.message.body || (attachments > 0 ? `${attachments} attachment${attachments > 1 ? 's' : ''}` : '');
  return { title: `Message from ${event.message.sender}`, body: body.slice(0, 200), tag: `chat-${event.message.conversation}` };
}

export function callNotification(peer: string): NotificationText {
  return { title: `Incoming call from ${peer}`, body: 'Open Parley to answer.', tag: 'incoming-call' };
}

/** Shows `text` when notifications are allowed and the page is hidden; whether it did. */
export function notifyIfHidden(text: NotificationText | null): boolean {
  if (!text || notificationPermission() !== 'granted' || document.visibilityState !== 'hidden') return false;
  const shown = new Notification(text.title, { body: text.body, tag: text.tag, icon: '/icons/icon-192.png' });
  shown.onclick = () => {
    window.focus();
    shown.close();
  };
  return true;
}

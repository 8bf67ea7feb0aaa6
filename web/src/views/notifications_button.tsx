// "Turn on notifications": asks the browser's permission on the user's click, then hides. With
// permission, new chat messages and incoming calls show as notifications while the page is
// hidden (lib/notify.ts); the hook below watches the chat and the phone for them.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatClient } from '../chat/chat_client';
import {
  askNotificationPermission, callNotification, chatNotification, notificationPermission, notifyIfHidden,
} from '../lib/notify';
import type { PhoneState } from '../phone/phone';

export function NotificationsButton() {
  const [permission, setPermission] = useState(notificationPermission);
  if (permission !== 'default') return null;
  return (
    <button type="button" class="link" onClick={() => void askNotificationPermission().then(setPermission)}>
      Turn on notifications
    </button>
  );
}

export function useNotifications(chat: ChatClient, me: string, phone: PhoneState) {
  useEffect(() => chat.onEvent((event) => { notifyIfHidden(chatNotification(event, me)); }), [chat, me]);
  const ringing = phone.call?.phase === 'ringing' ? phone.call.peer : null;
  const shownFor = useRef<string | null>(null);
  useEffect(() => {
    if (ringing && shownFor.current !== ringing) notifyIfHidden(callNotification(ringing));
    shownFor.current = ringing;
  }, [ringing]);
}

// The chat connection for the signed-in extension, kept for as long as the phone screen is
// shown (so the unread badge moves while another tab is open).
import { useEffect, useState } from 'preact/hooks';
import { ChatClient } from './chat_client';
import type { ChatState } from './chat_state';

export function useChat(extension: string, csrfToken: string): [ChatClient, ChatState] {
  const [client] = useState(() => new ChatClient(extension, csrfToken));
  const [state, setState] = useState<ChatState>(client.snapshot);
  useEffect(() => {
    const unsubscribe = client.subscribe(setState);
    client.start();
    return () => {
      unsubscribe();
      client.stop();
    };
  }, [client]);
  return [client, state];
}

// The presence client for the phone screen: watches `contacts` and keeps the snapshot current.
import { useEffect, useState } from 'preact/hooks';
import type { Phone } from './phone';
import { PresenceClient, type PresenceSnapshot } from './presence';

export function usePresence(
  phone: Phone,
  extension: string,
  domain: string,
  contacts: string[] | null,
): [PresenceClient, PresenceSnapshot] {
  const [client] = useState(() => new PresenceClient(phone, extension, domain));
  const [snapshot, setSnapshot] = useState<PresenceSnapshot>(client.snapshot);
  useEffect(() => {
    const unsubscribe = client.subscribe(setSnapshot);
    return () => {
      unsubscribe();
      client.stop();
    };
  }, [client]);
  const key = contacts?.join(',') ?? '';
  useEffect(() => {
    if (contacts) client.watch(contacts);
  }, [client, key]);
  return [client, snapshot];
}

// Presence in the web client (decision 0025), over the phone's own SIP WebSocket, exactly as a desk
// phone does it: SUBSCRIBE presence (RFC 3856) to every contact, whose NOTIFYs carry PIDF the server
// combined from DND, calls, registrations and the contact's own choice; and PUBLISH (RFC 3903) of
// the user's own choice, refreshed before it expires and published again after every
// registration (the server keeps publications in memory only, so after a restart or a lost
// connection the browser says it again). The choice itself is kept in localStorage, per extension.
// Nothing here touches Preact; the UI reads snapshots through subscribe().

import * as JsSIP from 'jssip';
import { OutgoingRequest } from 'jssip/lib/SIPMessage';
import type { Subscriber } from 'jssip/lib/Subscriber';
import RequestSender from 'jssip/lib/RequestSender';
import type { Phone, PhoneState } from './phone';
import { buildPidf, type ContactPresence, type OwnState, readPidf } from './presence_doc';

const PUBLISH_EXPIRES = 600;
const SUBSCRIBE_EXPIRES = 600;
/** The server lets one device hold 200 subscriptions; leave room for a desk phone's BLF keys. */
export const MAX_WATCHED = 150;

export interface OwnPresence {
  state: OwnState;
  note: string;
  /** Whether the server accepted the last PUBLISH. */
  published: boolean;
}

export interface PresenceSnapshot {
  contacts: Record<string, ContactPresence>;
  own: OwnPresence;
}

type Listener = (snapshot: PresenceSnapshot) => void;

interface SubscriberEvents {
  on(event: 'notify', handler: (isFinal: boolean, request: unknown, body: string | undefined) => void): void;
  on(event: 'terminated', handler: () => void): void;
}

function storageKey(extension: string): string {
  return `parley.presence.${extension}`;
}

function loadChoice(extension: string): { state: OwnState; note: string } {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey(extension)) ?? 'null') as unknown;
    if (value && typeof value === 'object') {
      const { state, note } = value as { state?: unknown; note?: unknown };
      if (state === 'available' || state === 'away' || state === 'busy' || state === 'offline') {
        return { state, note: typeof note === 'string' ? note : '' };
      }
    }
  } catch {
    // a damaged entry: start from "available"
  }
  return { state: 'available', note: '' };
}

export class PresenceClient {
  private snapshotValue: PresenceSnapshot;
  private readonly listeners = new Set<Listener>();
  private readonly subscribers = new Map<string, Subscriber>();
  private wanted: string[] = [];
  private etag: string | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private registered = false;
  private stopped = false;
  private readonly unsubscribePhone: () => void;

  constructor(
    private readonly phone: Phone,
    private readonly extension: string,
    private readonly domain: string,
  ) {
    const choice = loadChoice(extension);
    this.snapshotValue = { contacts: {}, own: { ...choice, published: false } };
    this.unsubscribePhone = phone.subscribe((state) => this.onPhoneState(state));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.snapshotValue);
    return () => this.listeners.delete(listener);
  }

  get snapshot(): PresenceSnapshot {
    return this.snapshotValue;
  }

  /** The contacts to watch (extensions of the tenant, the user's own left out by the caller). */
  watch(extensions: string[]): void {
    this.wanted = extensions.slice(0, MAX_WATCHED);
    if (this.registered) this.syncSubscriptions();
  }

  /** The user's own choice: kept in this browser and published at once. */
  choose(state: OwnState, note: string): void {
    try {
      localStorage.setItem(storageKey(this.extension), JSON.stringify({ state, note }));
    } catch {
      // private mode: the choice lasts for this page only
    }
    this.update({ own: { state, note, published: false } });
    if (this.registered) this.publish(true);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribePhone();
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    for (const subscriber of this.subscribers.values()) subscriber.terminate();
    this.subscribers.clear();
    if (this.etag && this.registered) this.send(null, 0, this.etag, () => undefined);
    this.etag = null;
  }

  private onPhoneState(state: PhoneState): void {
    const registered = state.registration === 'registered';
    if (registered === this.registered || this.stopped) return;
    this.registered = registered;
    if (!registered) {
      // The server ends our subscriptions with the connection; start over on the next registration.
      for (const subscriber of this.subscribers.values()) subscriber.terminate();
      this.subscribers.clear();
      this.etag = null;
      return;
    }
    this.etag = null;
    this.publish(true);
    this.syncSubscriptions();
  }

  private syncSubscriptions(): void {
    const ua = this.phone.userAgent;
    for (const [extension, subscriber] of this.subscribers) {
      if (!this.wanted.includes(extension)) {
        subscriber.terminate();
        this.subscribers.delete(extension);
      }
    }
    for (const extension of this.wanted) {
      if (this.subscribers.has(extension)) continue;
      const subscriber = ua.subscribe(`sip:${extension}@${this.domain}`, 'presence', 'application/pidf+xml', {
        expires: SUBSCRIBE_EXPIRES,
        contentType: 'application/pidf+xml',
      });
      // Subscriber's EventEmitter types come from Node's "events", which this build leaves out.
      const events = subscriber as unknown as SubscriberEvents;
      events.on('notify', (_final, _request, body) => {
        const presence = body ? readPidf(body) : null;
        if (presence) this.update({ contacts: { ...this.snapshotValue.contacts, [extension]: presence } });
      });
      events.on('terminated', () => {
        if (this.subscribers.get(extension) !== subscriber) return;
        this.subscribers.delete(extension);
        // Refused or dropped: try again a little later while still registered.
        setTimeout(() => {
          if (!this.stopped && this.registered) this.syncSubscriptions();
        }, 10_000);
      });
      this.subscribers.set(extension, subscriber);
      subscriber.subscribe();
    }
  }

  /** Publishes the current choice: `withBody` for a new state, else a refresh of the last one. */
  private publish(withBody: boolean): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    const { state, note } = this.snapshotValue.own;
    const body = withBody ? buildPidf(`sip:${this.extension}@${this.domain}`, state, note) : null;
    this.send(body, PUBLISH_EXPIRES, this.etag, (status, etag) => {
      if (status === 412 && this.etag) {
        this.etag = null; // the server forgot it (restart, expiry): publish afresh
        this.publish(true);
        return;
      }
      const ok = status >= 200 && status < 300;
      this.etag = ok ? etag : null;
      this.update({ own: { ...this.snapshotValue.own, published: ok } });
      if (ok && !this.stopped) {
        this.refreshTimer = setTimeout(() => this.publish(false), PUBLISH_EXPIRES * 800);
      }
    });
  }

  private send(
    body: string | null,
    expires: number,
    ifMatch: string | null,
    done: (status: number, etag: string | null) => void,
  ): void {
    const ua = this.phone.userAgent;
    const headers = ['Event: presence', `Expires: ${expires}`];
    if (ifMatch) headers.push(`SIP-If-Match: ${ifMatch}`);
    if (body) headers.push('Content-Type: application/pidf+xml');
    const target = JsSIP.URI.parse(`sip:${this.extension}@${this.domain}`);
    const Request = OutgoingRequest as unknown as new (
      method: string,
      ruri: unknown,
      ua: unknown,
      params: Record<string, unknown>,
      extraHeaders: string[],
      body?: string,
    ) => OutgoingRequest;
    const request = new Request('PUBLISH', target, ua, {}, headers, body ?? undefined);
    new RequestSender(ua, request, {
      onReceiveResponse: (response) => {
        if (response.status_code >= 200) done(response.status_code, response.getHeader('SIP-ETag') ?? null);
      },
      onRequestTimeout: () => done(408, null),
      onTransportError: () => done(503, null),
    }).send();
  }

  private update(patch: Partial<PresenceSnapshot>): void {
    this.snapshotValue = { ...this.snapshotValue, ...patch };
    for (const listener of this.listeners) listener(this.snapshotValue);
  }
}

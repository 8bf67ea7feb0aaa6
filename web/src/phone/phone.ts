// The softphone engine: one JsSIP user agent registered over wss://<this host>/sip, at most one
// call at a time. UI components read `PhoneState` snapshots through `subscribe` and call the
// methods; nothing here touches Preact.

import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { RTCSessionEvent } from 'jssip/lib/UA';
import { displayUser } from '../lib/address';
import { callEndMessage, phoneServerUnreachable, registrationError } from '../lib/errors';
import { chooseSpeaker, MicrophoneError, openMicrophone, stopStream } from './media';

export type Registration = 'connecting' | 'registered' | 'failed' | 'stopped';

export interface CallView {
  direction: 'incoming' | 'outgoing';
  peer: string;
  /** ringing: an incoming call not yet answered; calling: ours, not answered yet. */
  phase: 'ringing' | 'calling' | 'active';
  answeredAt: number | null;
  muted: boolean;
  onHold: boolean;
  remoteHold: boolean;
}

export interface PhoneState {
  registration: Registration;
  /** A problem with the connection or registration, shown as a banner. */
  problem: string | null;
  /** A one-off message about the last call (declined, busy, microphone denied ...). */
  notice: string | null;
  call: CallView | null;
}

export interface PhoneAccount {
  extension: string;
  domain: string;
  password: string;
}

type Listener = (state: PhoneState) => void;

export class Phone {
  private state: PhoneState = { registration: 'connecting', problem: null, notice: null, call: null };
  private readonly listeners = new Set<Listener>();
  private readonly ua: JsSIP.UA;
  private session: RTCSession | null = null;
  private localStream: MediaStream | null = null;
  private weHungUp = false;
  private microphoneId: string | null = null;
  readonly remoteAudio: HTMLAudioElement;

  constructor(account: PhoneAccount) {
    this.remoteAudio = document.createElement('audio');
    this.remoteAudio.autoplay = true;
    this.remoteAudio.setAttribute('aria-hidden', 'true');
    document.body.appendChild(this.remoteAudio);

    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new JsSIP.WebSocketInterface(`${scheme}://${location.host}/sip`);
    this.ua = new JsSIP.UA({
      sockets: [socket],
      uri: `sip:${account.extension}@${account.domain}`,
      password: account.password,
      register: true,
      register_expires: 300,
      session_timers: false,
      user_agent: 'Parley-Web',
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
    });
    this.ua.on('connected', () => this.update({ problem: null }));
    this.ua.on('disconnected', (event) => {
      if (this.state.registration === 'stopped') return;
      this.update({
        registration: this.state.registration === 'failed' ? 'failed' : 'connecting',
        problem: event.error ? phoneServerUnreachable() : this.state.problem,
      });
    });
    this.ua.on('registered', () => this.update({ registration: 'registered', problem: null }));
    this.ua.on('unregistered', () => {
      if (this.state.registration !== 'stopped') this.update({ registration: 'connecting' });
    });
    this.ua.on('registrationFailed', (event) => {
      const status = event.response?.status_code ?? null;
      const problem = registrationError(String(event.cause ?? ''), status);
      const refused = status === 401 || status === 403 || status === 407;
      this.update({ registration: 'failed', problem });
      // A wrong password retried forever would only get the address banned.
      if (refused) this.ua.stop();
    });
    this.ua.on('newRTCSession', (event: RTCSessionEvent) => this.onNewSession(event));
  }

  start(): void {
    this.ua.start();
  }

  stop(): void {
    this.update({ registration: 'stopped' });
    this.weHungUp = true;
    if (this.session && !this.session.isEnded()) this.session.terminate();
    this.ua.stop();
    stopStream(this.localStream);
    this.remoteAudio.remove();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  get snapshot(): PhoneState {
    return this.state;
  }

  /** The registered user agent, for presence (presence.ts) to subscribe and publish over. */
  get userAgent(): JsSIP.UA {
    return this.ua;
  }

  setMicrophone(deviceId: string | null): void {
    this.microphoneId = deviceId;
    if (this.session?.isEstablished()) void this.switchMicrophone();
  }

  async setSpeaker(deviceId: string): Promise<void> {
    await chooseSpeaker(this.remoteAudio, deviceId);
  }

  dismissNotice(): void {
    this.update({ notice: null });
  }

  async call(target: string): Promise<void> {
    if (this.session) return;
    this.update({ notice: null });
    let stream: MediaStream;
    try {
      stream = await openMicrophone(this.microphoneId);
    } catch (error) {
      this.update({ notice: error instanceof MicrophoneError ? error.message : String(error) });
      return;
    }
    this.localStream = stream;
    this.weHungUp = false;
    try {
      this.ua.call(target, {
        mediaStream: stream,
        pcConfig: { iceServers: [] },
        rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
      });
    } catch (error) {
      stopStream(stream);
      this.localStream = null;
      this.update({ notice: `The call could not start: ${(error as Error).message}` });
    }
  }

  async answer(): Promise<void> {
    const session = this.session;
    if (!session || this.state.call?.phase !== 'ringing') return;
    let stream: MediaStream;
    try {
      stream = await openMicrophone(this.microphoneId);
    } catch (error) {
      this.weHungUp = true;
      session.terminate({ status_code: 480 });
      this.update({ notice: error instanceof MicrophoneError ? error.message : String(error) });
      return;
    }
    this.localStream = stream;
    session.answer({ mediaStream: stream, pcConfig: { iceServers: [] } });
  }

  decline(): void {
    this.weHungUp = true;
    this.session?.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
  }

  hangUp(): void {
    this.weHungUp = true;
    this.session?.terminate();
  }

  toggleMute(): void {
    if (!this.session) return;
    if (this.session.isMuted().audio) this.session.unmute({ audio: true });
    else this.session.mute({ audio: true });
  }

  toggleHold(): void {
    if (!this.session?.isEstablished()) return;
    if (this.session.isOnHold().local) this.session.unhold();
    else this.session.hold();
  }

  sendDtmf(tone: string): void {
    if (!this.session?.isEstablished() || !/^[0-9A-D*#]$/.test(tone)) return;
    // RFC 4733 telephone-events in the RTP stream (JsSIP calls it RFC2833).
    this.session.sendDTMF(tone, {
      transportType: JsSIP.C.DTMF_TRANSPORT.RFC2833,
      duration: 120,
      interToneGap: 70,
    });
  }

  transfer(target: string): void {
    const session = this.session;
    if (!session?.isEstablished()) return;
    session.refer(target, {
      eventHandlers: {
        accepted: () => {
          this.weHungUp = true;
          session.terminate();
          this.update({ notice: `Transferred to ${displayUser(target)}.` });
        },
        failed: () => this.update({ notice: `Transfer to ${displayUser(target)} failed.` }),
      },
    });
  }

  private onNewSession(event: RTCSessionEvent): void {
    const session = event.session;
    if (this.session) {
      session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    this.session = session;
    this.weHungUp = false;
    const incoming = event.originator === 'remote';
    const peer = session.remote_identity?.display_name || session.remote_identity?.uri?.user || 'unknown';
    this.update({
      notice: null,
      call: {
        direction: incoming ? 'incoming' : 'outgoing',
        peer: String(peer),
        phase: incoming ? 'ringing' : 'calling',
        answeredAt: null,
        muted: false,
        onHold: false,
        remoteHold: false,
      },
    });
    if (session.connection) this.watchPeerConnection(session.connection);
    session.on('peerconnection', (e) => this.watchPeerConnection(e.peerconnection));
    session.on('accepted', () => this.patchCall({ phase: 'active', answeredAt: Date.now() }));
    session.on('confirmed', () => {
      if (!this.state.call?.answeredAt) this.patchCall({ phase: 'active', answeredAt: Date.now() });
    });
    session.on('muted', () => this.patchCall({ muted: true }));
    session.on('unmuted', () => this.patchCall({ muted: false }));
    session.on('hold', (e) =>
      this.patchCall(e.originator === 'local' ? { onHold: true } : { remoteHold: true }),
    );
    session.on('unhold', (e) =>
      this.patchCall(e.originator === 'local' ? { onHold: false } : { remoteHold: false }),
    );
    session.on('ended', (e) => this.onSessionGone(session, e.cause));
    session.on('failed', (e) => this.onSessionGone(session, e.cause));
  }

  private watchPeerConnection(connection: RTCPeerConnection): void {
    connection.addEventListener('track', (event) => {
      if (event.track.kind !== 'audio') return;
      this.remoteAudio.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      void this.remoteAudio.play().catch(() => undefined);
    });
  }

  private async switchMicrophone(): Promise<void> {
    const connection = this.session?.connection;
    if (!connection) return;
    let stream: MediaStream;
    try {
      stream = await openMicrophone(this.microphoneId);
    } catch (error) {
      this.update({ notice: error instanceof MicrophoneError ? error.message : String(error) });
      return;
    }
    const track = stream.getAudioTracks()[0];
    const sender = connection.getSenders().find((s) => s.track?.kind === 'audio');
    if (!sender || !track) {
      stopStream(stream);
      return;
    }
    // The new track must stay as silent as the one it replaces: muted, or held by either side
    // (JsSIP disables the sender's track for both and would not know about this one).
    const call = this.state.call;
    track.enabled = !(call?.muted || call?.onHold || call?.remoteHold);
    await sender.replaceTrack(track);
    stopStream(this.localStream);
    this.localStream = stream;
  }

  private onSessionGone(session: RTCSession, cause: string | undefined): void {
    if (session !== this.session) return;
    this.session = null;
    stopStream(this.localStream);
    this.localStream = null;
    this.remoteAudio.srcObject = null;
    const message = callEndMessage(String(cause ?? ''), this.weHungUp);
    this.update({ call: null, notice: message ?? this.state.notice });
  }

  private patchCall(patch: Partial<CallView>): void {
    if (this.state.call) this.update({ call: { ...this.state.call, ...patch } });
  }

  private update(patch: Partial<PhoneState>): void {
    this.state = { ...this.state, ...patch };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state);
  }
}

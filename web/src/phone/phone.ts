// The softphone engine: one JsSIP user agent registered over wss://<this host>/sip, one call at a
// time plus, during an attended transfer, the first call waiting on hold (decision 0055). UI
// components read `PhoneState` snapshots through `subscribe` and call the methods; nothing here
// touches Preact.

import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { RTCSessionEvent } from 'jssip/lib/UA';
import { displayUser } from '../lib/address';
import { callEndMessage, phoneServerUnreachable, registrationError } from '../lib/errors';
import { referReplacing } from './attended_refer';
import {
  acceptsIncoming, consultationAbandoned, consultationStarted, type DialogId, lineEnded, type Lines,
  NO_LINES, transferFailed, transferProgress, transferSucceeded,
} from './consultation';
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
  /** The call in front: what the call panel's buttons act on. */
  call: CallView | null;
  /** The first call, on hold while `call` consults someone before an attended transfer. */
  heldCall: CallView | null;
  /** An attended transfer under way: its progress as the NOTIFYs tell it. */
  transfer: string | null;
}

export interface PhoneAccount {
  extension: string;
  domain: string;
  password: string;
}

type Listener = (state: PhoneState) => void;

// One call: its JsSIP session, the microphone stream it sends (each call has its own, because
// holding a call disables the tracks it sends) and what the UI shows of it.
interface Line {
  session: RTCSession;
  stream: MediaStream | null;
  remote: MediaStream | null;
  view: CallView;
  dialog: DialogId | null;
  weHungUp: boolean;
}

// JsSIP's messages carry their tags; its typings leave them out.
interface TaggedMessage {
  call_id: string;
  from_tag: string;
  to_tag?: string;
}

export class Phone {
  private state: PhoneState = {
    registration: 'connecting', problem: null, notice: null, call: null, heldCall: null, transfer: null,
  };
  private readonly listeners = new Set<Listener>();
  private readonly ua: JsSIP.UA;
  private lines: Lines<Line> = NO_LINES;
  // The stream of the call being placed, for onNewSession (JsSIP announces it inside ua.call).
  private outgoingStream: MediaStream | null = null;
  private resumeWhenConsultationEnds = false;
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
    for (const line of [this.lines.current, this.lines.held]) {
      if (!line) continue;
      line.weHungUp = true;
      if (!line.session.isEnded()) line.session.terminate();
      stopStream(line.stream);
    }
    this.ua.stop();
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
    const line = this.lines.current;
    if (line?.session.isEstablished()) void this.switchMicrophone(line);
  }

  async setSpeaker(deviceId: string): Promise<void> {
    await chooseSpeaker(this.remoteAudio, deviceId);
  }

  dismissNotice(): void {
    this.update({ notice: null });
  }

  async call(target: string): Promise<void> {
    if (this.lines.current || this.lines.held) return;
    this.update({ notice: null });
    const stream = await this.microphone();
    if (stream) this.place(target, stream);
  }

  async answer(): Promise<void> {
    const line = this.lines.current;
    if (!line || line.view.phase !== 'ringing') return;
    let stream: MediaStream;
    try {
      stream = await openMicrophone(this.microphoneId);
    } catch (error) {
      line.weHungUp = true;
      line.session.terminate({ status_code: 480 });
      this.update({ notice: error instanceof MicrophoneError ? error.message : String(error) });
      return;
    }
    line.stream = stream;
    line.session.answer({ mediaStream: stream, pcConfig: { iceServers: [] } });
  }

  decline(): void {
    const line = this.lines.current;
    if (!line) return;
    line.weHungUp = true;
    line.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
  }

  /** Ends the call in front; a call held for a consultation then comes to the front, still held. */
  hangUp(): void {
    const line = this.lines.current;
    if (!line) return;
    line.weHungUp = true;
    line.session.terminate();
  }

  toggleMute(): void {
    const session = this.lines.current?.session;
    if (!session) return;
    if (session.isMuted().audio) session.unmute({ audio: true });
    else session.mute({ audio: true });
  }

  toggleHold(): void {
    const session = this.lines.current?.session;
    if (!session?.isEstablished()) return;
    if (session.isOnHold().local) session.unhold();
    else session.hold();
  }

  sendDtmf(tone: string): void {
    const session = this.lines.current?.session;
    if (!session?.isEstablished() || !/^[0-9A-D*#]$/.test(tone)) return;
    // RFC 4733 telephone-events in the RTP stream (JsSIP calls it RFC2833).
    session.sendDTMF(tone, {
      transportType: JsSIP.C.DTMF_TRANSPORT.RFC2833,
      duration: 120,
      interToneGap: 70,
    });
  }

  /** Blind transfer (decision 0014): REFER in the call in front, which ends once it is accepted. */
  transfer(target: string): void {
    const line = this.lines.current;
    if (!line?.session.isEstablished() || this.lines.held) return;
    const session = line.session;
    session.refer(target, {
      eventHandlers: {
        accepted: () => {
          line.weHungUp = true;
          session.terminate();
          this.update({ notice: `Transferred to ${displayUser(target)}.` });
        },
        failed: () => this.update({ notice: `Transfer to ${displayUser(target)} failed.` }),
      },
    });
  }

  /**
   * Attended transfer, first step: the call in front waits on hold and `target` is called on a
   * second line with its own microphone stream.
   */
  async consult(target: string): Promise<void> {
    const first = this.lines.current;
    if (!first?.session.isEstablished() || this.lines.held) return;
    this.update({ notice: null });
    const stream = await this.microphone();
    if (!stream) return;
    // The first call may have ended while the microphone was being opened.
    if (this.lines.current !== first || !first.session.isEstablished()) {
      stopStream(stream);
      return;
    }
    if (!first.session.isOnHold().local && !first.session.hold()) {
      stopStream(stream);
      this.update({ notice: 'The call could not be put on hold; try again in a moment.' });
      return;
    }
    this.lines = consultationStarted(this.lines);
    this.playFront();
    this.place(target, stream);
  }

  /**
   * Attended transfer, last step: REFER in the consultation call asking the consulted party to
   * replace our dialog with the held party (Refer-To: held party?Replaces=<held dialog>). The
   * held party gets the re-INVITE that joins it, which also takes it off hold; the server ends
   * both our calls when it is done (decisions 0024, 0055).
   */
  completeTransfer(): void {
    const { current: consultation, held: first } = this.lines;
    if (!consultation?.session.isEstablished() || !first?.session.isEstablished()) return;
    if (this.state.transfer) return;
    const consulted = consultation.view.peer;
    let settled = false;
    const sent = referReplacing(consultation.session, first.session, first.dialog, {
      progress: (status, reason) => {
        if (!settled) this.update({ transfer: transferProgress(status, reason) });
      },
      succeeded: () => {
        settled = true;
        // Parley hangs both calls up now (decision 0024); their ends are no news.
        first.weHungUp = true;
        consultation.weHungUp = true;
        this.update({ transfer: null, notice: transferSucceeded(first.view.peer, consulted) });
      },
      failed: (status, reason) => {
        settled = true;
        this.update({ transfer: null, notice: transferFailed(consulted, status, reason) });
      },
    });
    if (sent && !settled) this.update({ transfer: transferProgress() });
  }

  /** Hangs up the consultation call (answered or still ringing) and resumes the first call. */
  cancelConsultation(): void {
    const { current: consultation, held } = this.lines;
    if (!consultation || !held || this.state.transfer) return;
    this.resumeWhenConsultationEnds = true;
    consultation.weHungUp = true;
    consultation.session.terminate();
  }

  private async microphone(): Promise<MediaStream | null> {
    try {
      return await openMicrophone(this.microphoneId);
    } catch (error) {
      this.update({ notice: error instanceof MicrophoneError ? error.message : String(error) });
      return null;
    }
  }

  private place(target: string, stream: MediaStream): void {
    this.outgoingStream = stream;
    try {
      this.ua.call(target, {
        mediaStream: stream,
        pcConfig: { iceServers: [] },
        rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
      });
    } catch (error) {
      stopStream(stream);
      this.lines = consultationAbandoned(this.lines);
      this.playFront();
      this.update({ notice: `The call could not start: ${(error as Error).message}` });
    } finally {
      this.outgoingStream = null;
    }
  }

  private onNewSession(event: RTCSessionEvent): void {
    const session = event.session;
    const incoming = event.originator === 'remote';
    if (incoming ? !acceptsIncoming(this.lines) : this.lines.current !== null) {
      session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    const request = event.request as unknown as TaggedMessage;
    const peer = session.remote_identity?.display_name || session.remote_identity?.uri?.user || 'unknown';
    const line: Line = {
      session,
      stream: incoming ? null : this.outgoingStream,
      remote: null,
      // Ours is the To tag of an INVITE we answer; of one we send, the To tag comes with the answer.
      dialog: incoming
        ? { callId: request.call_id, localTag: request.to_tag ?? '', remoteTag: request.from_tag }
        : null,
      weHungUp: false,
      view: {
        direction: incoming ? 'incoming' : 'outgoing',
        peer: String(peer),
        phase: incoming ? 'ringing' : 'calling',
        answeredAt: null,
        muted: false,
        onHold: false,
        remoteHold: false,
      },
    };
    this.outgoingStream = null;
    this.lines = { ...this.lines, current: line };
    this.update({ notice: null });
    if (session.connection) this.watchPeerConnection(line, session.connection);
    session.on('peerconnection', (e) => this.watchPeerConnection(line, e.peerconnection));
    session.on('accepted', (e: { response?: unknown }) => {
      if (!incoming) {
        const answer = e.response as TaggedMessage | undefined;
        if (answer?.to_tag) {
          line.dialog = { callId: request.call_id, localTag: request.from_tag, remoteTag: answer.to_tag };
        }
      }
      this.patchLine(line, { phase: 'active', answeredAt: Date.now() });
    });
    session.on('confirmed', () => {
      if (!line.view.answeredAt) this.patchLine(line, { phase: 'active', answeredAt: Date.now() });
    });
    session.on('muted', () => this.patchLine(line, { muted: true }));
    session.on('unmuted', () => this.patchLine(line, { muted: false }));
    session.on('hold', (e) =>
      this.patchLine(line, e.originator === 'local' ? { onHold: true } : { remoteHold: true }),
    );
    session.on('unhold', (e) =>
      this.patchLine(line, e.originator === 'local' ? { onHold: false } : { remoteHold: false }),
    );
    session.on('ended', (e) => this.onSessionGone(line, e.cause));
    session.on('failed', (e) => this.onSessionGone(line, e.cause));
  }

  private watchPeerConnection(line: Line, connection: RTCPeerConnection): void {
    connection.addEventListener('track', (event) => {
      if (event.track.kind !== 'audio') return;
      line.remote = event.streams[0] ?? new MediaStream([event.track]);
      if (line === this.lines.current) this.playFront();
    });
  }

  // One <audio> element plays the call in front; the held call's sound waits in its Line.
  private playFront(): void {
    const remote = this.lines.current?.remote ?? null;
    if (this.remoteAudio.srcObject === remote) return;
    this.remoteAudio.srcObject = remote;
    if (remote) void this.remoteAudio.play().catch(() => undefined);
  }

  private async switchMicrophone(line: Line): Promise<void> {
    const connection = line.session.connection;
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
    const call = line.view;
    track.enabled = !(call.muted || call.onHold || call.remoteHold);
    await sender.replaceTrack(track);
    stopStream(line.stream);
    line.stream = stream;
  }

  private onSessionGone(line: Line, cause: string | undefined): void {
    const { current, held } = this.lines;
    if (line !== current && line !== held) return;
    stopStream(line.stream);
    line.stream = null;
    this.lines = lineEnded(this.lines, line);
    let notice = callEndMessage(String(cause ?? ''), line.weHungUp);
    if (line === held && !line.weHungUp) notice = `${line.view.peer} hung up while on hold.`;
    if (line === current && held) {
      if (this.resumeWhenConsultationEnds) held.session.unhold();
      this.resumeWhenConsultationEnds = false;
    }
    this.playFront();
    const transfer = this.lines.held ? this.state.transfer : null;
    this.update({ notice: notice ?? this.state.notice, transfer });
  }

  private patchLine(line: Line, patch: Partial<CallView>): void {
    line.view = { ...line.view, ...patch };
    this.update();
  }

  // Every change goes through here: the calls shown are always those of `lines`.
  private update(patch: Partial<PhoneState> = {}): void {
    this.state = {
      ...this.state,
      ...patch,
      call: this.lines.current?.view ?? null,
      heldCall: this.lines.held?.view ?? null,
    };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state);
  }
}


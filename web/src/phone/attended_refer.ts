// The REFER that completes an attended transfer (decision 0055): sent in the consultation call,
// it asks the consulted party to take the held party over, `Refer-To: <held party?Replaces=held
// dialog>`. JsSIP's ReferSubscriber reports the 202 and the NOTIFYs' sipfrag; this passes them
// on as progress, success or a refusal.
import * as JsSIP from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import { type DialogId, replacesParameter } from './consultation';

export interface ReferReport {
  progress(status?: number, reason?: string): void;
  succeeded(): void;
  /** `status` null: no SIP answer at all (the reason says why). */
  failed(status: number | null, reason: string): void;
}

// What JsSIP hands the REFER's event handlers (its typings leave them as `any`).
interface RequestFailedEvent {
  response: { status_code: number; reason_phrase: string } | null;
  cause: string;
}
interface NotifyEvent {
  status_line: { status_code: number; reason_phrase: string };
}

/** Sends the REFER; false when it could not be sent (report.failed has then been called). */
export function referReplacing(consultation: RTCSession, held: RTCSession, dialog: DialogId | null,
  report: ReferReport): boolean {
  const heldUri = held.remote_identity?.uri;
  if (!dialog || !heldUri) {
    report.failed(null, 'the held call has no dialog');
    return false;
  }
  const referTo = new JsSIP.URI('sip', heldUri.user, heldUri.host, heldUri.port || undefined, undefined, {
    Replaces: replacesParameter(dialog),
  });
  const notified = (e: NotifyEvent) => report.progress(e.status_line.status_code, e.status_line.reason_phrase);
  try {
    const sent: unknown = consultation.refer(referTo, {
      eventHandlers: {
        requestSucceeded: () => report.progress(202),
        requestFailed: (e: RequestFailedEvent) =>
          report.failed(e.response?.status_code ?? null, e.response?.reason_phrase ?? e.cause),
        trying: notified,
        progress: notified,
        accepted: () => report.succeeded(),
        failed: (e: NotifyEvent) => report.failed(e.status_line.status_code, e.status_line.reason_phrase),
      },
    });
    // JsSIP's typings say void; it returns false when the dialog cannot send a REFER now.
    if (sent === false) {
      report.failed(null, 'the call is busy with another change');
      return false;
    }
  } catch (error) {
    report.failed(null, (error as Error).message);
    return false;
  }
  return true;
}

// The parts of attended transfer (decision 0055) that need no SIP stack: which call is in front
// while another waits on hold, the Replaces value that names a dialog, and the words the user
// reads about the REFER's progress. phone.ts does the signalling.

/** The phone's calls: the one the call panel acts on, and the first call while it is consulted about. */
export interface Lines<T> {
  current: T | null;
  held: T | null;
}

export const NO_LINES = { current: null, held: null } as const;

/** A call may ring in only when the phone has no call at all (no call waiting yet). */
export function acceptsIncoming<T>(lines: Lines<T>): boolean {
  return lines.current === null && lines.held === null;
}

/** The consultation begins: the current call waits on hold and the new one takes its place. */
export function consultationStarted<T>(lines: Lines<T>): Lines<T> {
  return lines.current === null || lines.held !== null ? lines : { current: null, held: lines.current };
}

/** The consultation could not even be placed: the first call is in front again (still held). */
export function consultationAbandoned<T>(lines: Lines<T>): Lines<T> {
  return lines.current === null && lines.held !== null ? { current: lines.held, held: null } : lines;
}

/**
 * `gone` ended. When it was the call in front, the held call comes to the front (still on hold:
 * the user resumes it, or the phone does after "Cancel consultation").
 */
export function lineEnded<T>(lines: Lines<T>, gone: T): Lines<T> {
  if (lines.current === gone) return { current: lines.held, held: null };
  if (lines.held === gone) return { current: lines.current, held: null };
  return lines;
}

/** One side's view of a dialog: its Call-ID, our tag and the far end's. */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/**
 * The Replaces header for a Refer-To URI (escaped for the URI's header part) naming `dialog`,
 * which the far end of that dialog will receive. RFC 3891 §3 names the tags from the
 * recipient's point of view: to-tag is its own tag (our remote tag), from-tag ours.
 */
export function replacesParameter(dialog: DialogId): string {
  return encodeURIComponent(`${dialog.callId};to-tag=${dialog.remoteTag};from-tag=${dialog.localTag}`);
}

/** What the call panel says while the transfer is under way (a NOTIFY's sipfrag, if any). */
export function transferProgress(status?: number, reason?: string): string {
  if (status === undefined || status === 202) return 'Transferring…';
  return `Transferring… (${status}${reason ? ` ${reason}` : ''})`;
}

export function transferSucceeded(held: string, consulted: string): string {
  return `Transfer complete: ${held} and ${consulted} are talking.`;
}

const REFUSALS: Record<number, string> = {
  403: 'the phone server does not allow it',
  481: 'one of the calls no longer exists',
  486: 'the other side is busy',
  488: 'the calls could not agree on audio settings',
  491: 'another change to the call was under way; try again',
  501: 'the phone server cannot join these two calls',
  503: 'the phone server is not available',
};

/**
 * The refusal of a transfer (`status` null: no answer at all), for a REFER refused outright or a
 * final NOTIFY that is not 2xx. Both calls are still up afterwards.
 */
export function transferFailed(consulted: string, status: number | null, reason: string): string {
  const because = status === null ? `no answer from the phone server (${reason || 'timeout'})`
    : `${REFUSALS[status] ?? 'refused'} (${status}${reason ? ` ${reason}` : ''})`;
  return `Transfer to ${consulted} failed: ${because}. Both calls are still up.`;
}

// One place that turns what went wrong (an HTTP status, a SIP cause, a media error) into a
// sentence a person can act on. Pure: the inputs are plain values, so every mapping is tested.

/** An RFC 9457 problem document as far as we read it. */
export interface Problem {
  title?: string;
  detail?: string;
  /** The input at fault (the API's extension member), so a form can show the message beside it. */
  field?: string;
}

/** The sign-in request's outcome when it was not 200. `status` 0 means no HTTP answer at all. */
export function signInError(status: number, problem: Problem | null): string {
  if (status === 0) {
    return 'Cannot reach the server. Check the network connection and try again.';
  }
  if (status === 401 || status === 403) return 'Wrong extension or password.';
  if (status === 429) return 'Too many sign-in attempts. Wait a minute, then try again.';
  if (status === 404) return 'This server has no sign-in service (HTTP 404). Is it a Parley server?';
  if (status === 400 && problem?.detail) return problem.detail;
  if (status >= 500) return `The server failed to sign you in (HTTP ${status}). Try again later.`;
  const said = problem?.detail || problem?.title;
  return said ? `Sign-in failed: ${said}` : `Sign-in failed (HTTP ${status}).`;
}

/** The admin console's sign-in outcome when it was not 200 (admins sign in with a name). */
export function adminSignInError(status: number, problem: Problem | null): string {
  if (status === 401 || status === 403) return 'Wrong name or password.';
  return signInError(status, problem);
}

/** Why the SIP registration failed: JsSIP's cause and the response status, when there was one. */
export function registrationError(cause: string, status: number | null): string {
  if (status === 401 || status === 403 || status === 407 || cause === 'Authentication Error') {
    return 'The phone server refused your password. Sign in again.';
  }
  if (cause === 'Connection Error') return phoneServerUnreachable();
  if (cause === 'Request Timeout') return 'The phone server did not answer in time. Retrying…';
  if (status === 429 || status === 503) return 'The phone server is busy. Retrying shortly…';
  return `The phone could not register (${status ?? cause}).`;
}

export function phoneServerUnreachable(): string {
  return 'Cannot reach the phone server (the WebSocket connection failed). Retrying…';
}

/** getUserMedia's DOMException name (or anything else thrown) as a sentence. */
export function microphoneError(name: string): string {
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'Microphone access was denied. Allow the microphone for this site in the browser settings, then try again.';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return 'No microphone was found. Connect one and try again.';
    case 'NotReadableError':
    case 'TrackStartError':
      return 'The microphone is in use by another application or cannot be opened.';
    case 'OverconstrainedError':
      return 'The chosen microphone is no longer available. Pick another one.';
    default:
      return 'The microphone could not be opened.';
  }
}

/** Why a call ended or failed (JsSIP's cause), or null for a normal end nobody needs told. */
export function callEndMessage(cause: string, weHungUp: boolean): string | null {
  switch (cause) {
    case 'Terminated':
    case 'Canceled':
      return null;
    case 'Busy':
      return 'The line is busy.';
    case 'Rejected':
      return weHungUp ? null : 'The call was declined.';
    case 'Not Found':
      return 'No such number or extension.';
    case 'Unavailable':
      return 'The person is not available.';
    case 'No Answer':
      return 'No answer.';
    case 'Address Incomplete':
      return 'The number is incomplete.';
    case 'Incompatible SDP':
    case 'Bad Media Description':
      return 'The call could not agree on audio settings.';
    case 'User Denied Media Access':
      return microphoneError('NotAllowedError');
    case 'Connection Error':
      return phoneServerUnreachable();
    case 'Request Timeout':
      return 'The phone server did not answer in time.';
    case 'RTP Timeout':
      return 'The call lost its audio connection.';
    case 'Authentication Error':
      return 'The phone server refused the call (authentication).';
    case 'WebRTC Error':
      return 'The browser could not set up the audio connection.';
    default:
      return `The call ended: ${cause}.`;
  }
}
